import type { z } from 'zod';
import { BadRequestError } from '../domain/errors.js';

/** Renders a zod path the way the API names params: `tools[0].function.name`. */
export function paramName(path: readonly PropertyKey[], root?: string): string | null {
  let out = root ?? '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out || null;
}

const CODE_BY_ISSUE: Record<string, string> = {
  too_big: 'above_max',
  too_small: 'below_min',
  invalid_type: 'invalid_type',
  invalid_value: 'invalid_value',
  unrecognized_keys: 'unknown_parameter',
};

function issueCode(issue: z.core.$ZodIssue): string {
  const base = CODE_BY_ISSUE[issue.code] ?? 'invalid_value';
  if (issue.code === 'too_big' || issue.code === 'too_small') {
    const origin = issue.origin === 'string' ? 'string' : issue.origin === 'array' ? 'array' : 'decimal';
    return `${origin}_${base === 'above_max' ? 'above_max_length' : 'below_min_length'}`.replace('decimal_above_max_length', 'decimal_above_max_value').replace('decimal_below_min_length', 'decimal_below_min_value');
  }
  return base;
}

/** What the hosted API answered for a body parameter it does not know. */
export function unknownParameter(param: string, options?: { cause?: unknown }): BadRequestError {
  return new BadRequestError(`Unknown parameter: '${param}'.`, param, 'unknown_parameter', options);
}

/**
 * The issue to report. When no branch of a union matched, zod reports the union; if one branch failed only on
 * keys it does not know, that branch is what the caller meant (`{"type": "text", "foo": 1}`), so name its key.
 */
function reportedIssue(issue: z.core.$ZodIssue): z.core.$ZodIssue {
  if (issue.code !== 'invalid_union') return issue;
  for (const branch of issue.errors) {
    if (branch.length > 0 && branch.every((i) => i.code === 'unrecognized_keys')) {
      const inner = branch[0]!;
      return reportedIssue({ ...inner, path: [...issue.path, ...inner.path] } as z.core.$ZodIssue);
    }
  }
  return issue;
}

/** Parses input with a schema, turning the first problem into a 400 that names its param. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, root?: string): z.infer<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = reportedIssue(result.error.issues[0]!);
  if (issue.code === 'unrecognized_keys') {
    throw unknownParameter(paramName([...issue.path, issue.keys[0]!], root)!, { cause: result.error });
  }
  const param = paramName(issue.path, root);
  const message = param ? `Invalid '${param}': ${issue.message}` : `Invalid request: ${issue.message}`;
  throw new BadRequestError(message, param, issueCode(issue), { cause: result.error });
}
