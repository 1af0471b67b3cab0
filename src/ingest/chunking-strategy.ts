// Validation of `chunking_strategy` with the hosted API's wording, so SDK users see the errors they know.
import type { ChunkingStrategy } from './ingest.js';

/** Token window sizes a strategy resolves to. */
export interface ChunkWindow {
  maxTokens: number;
  overlapTokens: number;
}

const AUTO: ChunkWindow = { maxTokens: 800, overlapTokens: 400 };
const MIN_CHUNK = 100;
const MAX_CHUNK = 4096;

type Validation = { ok: true; value: ChunkingStrategy } | { ok: false; message: string; param: string };

/** Maps a validated strategy to its token window (`auto` is 800 tokens with 400 overlap). */
export function resolveChunking(s: ChunkingStrategy): ChunkWindow {
  if (s.type === 'auto') return AUTO;
  return { maxTokens: s.static.max_chunk_size_tokens, overlapTokens: s.static.chunk_overlap_tokens };
}

/**
 * Checks a request's `chunking_strategy`. Absent or null means `auto`, as on the hosted API.
 * On failure returns the message and the dotted `param` path for the 400 error body.
 */
export function validateChunkingStrategy(s: unknown): Validation {
  if (s === undefined || s === null) return { ok: true, value: { type: 'auto' } };
  const root = 'chunking_strategy';
  if (!isObject(s)) return invalidType(root, 'an object', s);
  if (s.type === undefined) return missing(`${root}.type`);
  if (s.type !== 'auto' && s.type !== 'static') {
    if (typeof s.type !== 'string') return invalidType(`${root}.type`, 'a string', s.type);
    return { ok: false, param: `${root}.type`, message: `Invalid value: '${s.type}'. Supported values are: 'auto' and 'static'.` };
  }
  const extra = unknownKey(s, ['type', ...(s.type === 'static' ? ['static'] : [])], root);
  if (extra) return extra;
  if (s.type === 'auto') return { ok: true, value: { type: 'auto' } };
  return validateStatic(s.static, `${root}.static`);
}

function validateStatic(st: unknown, path: string): Validation {
  if (st === undefined) return missing(path);
  if (!isObject(st)) return invalidType(path, 'an object', st);
  const extra = unknownKey(st, ['max_chunk_size_tokens', 'chunk_overlap_tokens'], path);
  if (extra) return extra;
  const maxPath = `${path}.max_chunk_size_tokens`;
  const overlapPath = `${path}.chunk_overlap_tokens`;
  const max = integerIn(st.max_chunk_size_tokens, maxPath, MIN_CHUNK, MAX_CHUNK);
  if (typeof max !== 'number') return max;
  const overlap = integerIn(st.chunk_overlap_tokens, overlapPath, 0, Number.MAX_SAFE_INTEGER);
  if (typeof overlap !== 'number') return overlap;
  const half = Math.floor(max / 2);
  if (overlap > half) {
    return {
      ok: false,
      param: overlapPath,
      message: `Invalid '${overlapPath}': chunk_overlap_tokens must not exceed half of max_chunk_size_tokens. Expected a value <= ${half}, but got ${overlap} instead.`,
    };
  }
  return { ok: true, value: { type: 'static', static: { max_chunk_size_tokens: max, chunk_overlap_tokens: overlap } } };
}

function integerIn(v: unknown, path: string, min: number, max: number): number | Extract<Validation, { ok: false }> {
  if (v === undefined) return missing(path);
  if (typeof v !== 'number' || !Number.isInteger(v)) return invalidType(path, 'an integer', v);
  if (v < min) return { ok: false, param: path, message: `Invalid '${path}': integer below minimum value. Expected a value >= ${min}, but got ${v} instead.` };
  if (v > max) return { ok: false, param: path, message: `Invalid '${path}': integer above maximum value. Expected a value <= ${max}, but got ${v} instead.` };
  return v;
}

function unknownKey(o: Record<string, unknown>, allowed: string[], path: string): Extract<Validation, { ok: false }> | undefined {
  const key = Object.keys(o).find((k) => !allowed.includes(k));
  return key === undefined ? undefined : { ok: false, param: `${path}.${key}`, message: `Unknown parameter: '${path}.${key}'.` };
}

function missing(path: string): Extract<Validation, { ok: false }> {
  return { ok: false, param: path, message: `Missing required parameter: '${path}'.` };
}

function invalidType(path: string, expected: string, got: unknown): Extract<Validation, { ok: false }> {
  return { ok: false, param: path, message: `Invalid type for '${path}': expected ${expected}, but got ${describe(got)} instead.` };
}

// Same nouns the hosted API used when it reported a wrong JSON type.
function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'an integer' : 'a decimal number';
  if (typeof v === 'string') return 'a string';
  if (typeof v === 'boolean') return 'a boolean';
  return 'an object';
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
