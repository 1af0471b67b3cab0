/**
 * Scripts for the scripted model: what it answers, step by step, as plain JSON a user can write by hand,
 * store through the API, or paste into a message as a fenced ```script block.
 */
import { z } from 'zod';
import { ProviderError } from './chat-model.js';

/** One assistant turn the scripted model plays. Text fields accept {{templates}} (see scripted.ts). */
export interface ScriptStep {
  text?: string;
  /** Explicit text deltas, streamed as given (instead of `text` split into words). */
  chunks?: string[];
  /** Calls of function or built-in tools; object arguments are serialized to JSON. */
  tool_calls?: Array<{ name: string; arguments?: string | Record<string, unknown>; id?: string }>;
  /** Fail the model call as an upstream would (after any text). 429 → rate_limit_exceeded, 4xx → invalid_prompt, else server_error. */
  error?: { status: number; message: string; code?: string };
  /** Reported usage; computed with the tokenizer when absent. */
  usage?: { prompt_tokens: number; completion_tokens: number };
  finish_reason?: 'stop' | 'length' | 'content_filter';
  /** Wait before answering, e.g. to test timeouts and cancellation. */
  delay_ms?: number;
}

/** A rule applies when `match` (a regex, `pattern` or `/pattern/flags`) finds the last user message text; a rule without `match` is the default. */
export interface ScriptRule {
  match?: string;
  steps: ScriptStep[];
}

/** The rules of one script; the first matching rule wins, else the first default rule. */
export interface Script {
  rules: ScriptRule[];
}

/**
 * Where named scripts (`model: "scripted:<name>"`) come from; the server backs it with a table and an API per
 * project, and the config file's server-wide scripts. `project`: whose scripts a run may play.
 */
export interface ScriptSource {
  get(name: string, project?: string): Promise<Script | undefined>;
  /** Names, for model suggestions in a UI. */
  list?(project?: string): Promise<string[]>;
}

const toolCallSchema = z.strictObject({
  name: z.string().min(1),
  arguments: z.union([z.string(), z.record(z.string(), z.unknown())]).optional(),
  id: z.string().min(1).optional(),
});

/** Validates one step. */
export const scriptStepSchema = z.strictObject({
  text: z.string().optional(),
  chunks: z.array(z.string()).optional(),
  tool_calls: z.array(toolCallSchema).optional(),
  error: z.strictObject({ status: z.number().int().min(400).max(599), message: z.string(), code: z.string().optional() }).optional(),
  usage: z.strictObject({ prompt_tokens: z.number().int().min(0), completion_tokens: z.number().int().min(0) }).optional(),
  finish_reason: z.enum(['stop', 'length', 'content_filter']).optional(),
  delay_ms: z.number().int().min(0).max(600_000).optional(),
});

const ruleSchema = z.strictObject({
  match: z
    .string()
    .refine((m) => compileMatch(m) !== undefined, { message: 'not a valid regular expression' })
    .optional(),
  steps: z.array(scriptStepSchema).min(1),
});

/** Validates a whole script; the API that stores named scripts should use it too. */
export const scriptSchema: z.ZodType<Script> = z.strictObject({ rules: z.array(ruleSchema).min(1) });

/** Accepts what people write: a Script, a list of steps, or a single step. */
export function parseScript(value: unknown): Script {
  if (Array.isArray(value)) return { rules: [{ steps: z.array(scriptStepSchema).min(1).parse(value) }] };
  if (value && typeof value === 'object' && 'rules' in value) return scriptSchema.parse(value);
  return { rules: [{ steps: [scriptStepSchema.parse(value)] }] };
}

/** Compiles a rule's `match`: `/pattern/flags` or a bare pattern. Undefined when it is not a valid regex. */
export function compileMatch(match: string): RegExp | undefined {
  const literal = /^\/(.*)\/([dgimsuvy]*)$/s.exec(match);
  try {
    return literal ? new RegExp(literal[1]!, literal[2]) : new RegExp(match);
  } catch {
    return undefined;
  }
}

const DIRECTIVE = /```script[ \t]*\r?\n([\s\S]*?)```/;

/**
 * Finds a fenced ```script block in a user message. Returns the script and the text without the block, or
 * undefined when there is none; a block that is not a valid script throws `invalid_prompt` saying why.
 */
export function parseScriptDirective(text: string): { script: Script; rest: string } | undefined {
  const found = DIRECTIVE.exec(text);
  if (!found) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(found[1]!);
  } catch (err) {
    throw new ProviderError('invalid_prompt', `the \`\`\`script block is not valid JSON: ${(err as Error).message}`);
  }
  try {
    return { script: parseScript(json), rest: (text.slice(0, found.index) + text.slice(found.index + found[0].length)).trim() };
  } catch (err) {
    throw new ProviderError('invalid_prompt', `the \`\`\`script block is not a valid script: ${describeZodError(err)}`);
  }
}

function describeZodError(err: unknown): string {
  if (!(err instanceof z.ZodError)) return String(err);
  return err.issues.map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`).join('; ');
}

/** A `ScriptSource` over a map, for tests and for scripts given in the config file. */
export function createInMemoryScriptSource(scripts: Record<string, Script> = {}): ScriptSource & { set(name: string, script: Script): void } {
  const map = new Map(Object.entries(scripts));
  return {
    get: async (name) => map.get(name),
    list: async () => [...map.keys()],
    set: (name, script) => void map.set(name, script),
  };
}
