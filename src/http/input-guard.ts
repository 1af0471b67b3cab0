import { BadRequestError, NotFoundError } from '../domain/errors.js';
import { isPossibleId } from '../domain/ids.js';
import { paramName } from './validation.js';

/**
 * How deeply a request may nest: deep enough for any real JSON schema or filter, shallow enough that no
 * recursive serializer, validator or SQL builder downstream can run out of stack.
 */
export const MAX_JSON_DEPTH = 64;

// NUL cannot be stored by Postgres (text or jsonb); a lone surrogate cannot be encoded as UTF-8.
const UNSTORABLE = /[\0\p{Cs}]/u;

/**
 * Names a too-deep value by where its recursion starts: `tools[0].function.parameters` for a schema nested in
 * `properties`, `filters` for filters nested in `filters`.
 */
function depthParam(path: PropertyKey[], root?: string): string | null {
  const keys = path.filter((p) => typeof p === 'string');
  const repeated = keys.find((k, i) => keys.indexOf(k) !== i);
  const named = repeated === undefined ? path.slice(0, 4) : path.slice(0, Math.max(path.indexOf(repeated), 1));
  // Nested arrays (`[[[…]]]`) are named by the key that holds them.
  while (named.length > 1 && typeof named[named.length - 1] === 'number') named.pop();
  return paramName(named, root);
}

function checkString(value: string, path: PropertyKey[], root?: string): void {
  if (!UNSTORABLE.test(value)) return;
  const param = paramName(path, root);
  const what = value.includes('\0') ? 'a NUL character (\\u0000)' : 'invalid Unicode (an unpaired surrogate)';
  throw new BadRequestError(`Invalid '${param ?? 'body'}': strings cannot contain ${what}.`, param, 'invalid_value');
}

function walk(value: unknown, path: PropertyKey[], root: string | undefined): void {
  if (typeof value === 'string') return checkString(value, path, root);
  if (value === null || typeof value !== 'object') return;
  if (path.length >= MAX_JSON_DEPTH) {
    const param = depthParam(path, root);
    throw new BadRequestError(`Invalid '${param ?? 'body'}': nested too deeply (more than ${MAX_JSON_DEPTH} levels).`, param, 'invalid_value');
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) walk(value[i], [...path, i], root);
    return;
  }
  for (const key of Object.keys(value)) {
    checkString(key, [...path, key], root);
    walk((value as Record<string, unknown>)[key], [...path, key], root);
  }
}

/**
 * Checks parsed input before any schema sees it: bounded nesting and strings both databases store alike.
 * Cheap (one pass) and recursion-bounded by MAX_JSON_DEPTH, so hostile input cannot overflow the stack here.
 */
export function guardInput(value: unknown, root?: string): void {
  walk(value, [], root);
}

const KIND_BY_PARAM: Record<string, string> = {
  assistant_id: 'assistant',
  thread_id: 'thread',
  message_id: 'message',
  run_id: 'run',
  step_id: 'run step',
  file_id: 'file',
  vector_store_id: 'vector store',
  batch_id: 'vector store file batch',
};

/** Path ids that cannot exist are a 404 before any query; other path parameters must be storable strings. */
export function guardPathParams(params: Record<string, string>): void {
  for (const [name, value] of Object.entries(params)) {
    if (!name.endsWith('_id')) {
      checkString(value, [name]);
      continue;
    }
    if (!isPossibleId(value)) throw new NotFoundError(`No ${KIND_BY_PARAM[name] ?? 'object'} found with id '${value}'.`);
  }
}

/** Cursors and `*_id` filters of a list that cannot be ids are a 400 naming them. */
export function guardQueryIds(query: Record<string, unknown>): void {
  for (const [name, value] of Object.entries(query)) {
    if (name !== 'after' && name !== 'before' && !name.endsWith('_id')) continue;
    if (typeof value === 'string' && value !== '' && !isPossibleId(value)) {
      throw new BadRequestError(`Invalid '${name}': '${value}' is not an id.`, name, 'invalid_value');
    }
  }
}
