import { z } from 'zod';
import { BadRequestError } from '../domain/errors.js';
import type { RequestedChunking } from '../domain/vector-stores.js';
import { validateChunkingStrategy } from '../ingest/ingest.js';

// Request pieces of vector stores and their files, with the hosted API's limits.

/** Up to 16 keys of at most 64 characters; values are strings (<= 512), numbers or booleans. */
export const attributesSchema = z
  .record(z.string().max(64), z.union([z.string().max(512), z.number(), z.boolean()]))
  .refine((a) => Object.keys(a).length <= 16, { message: 'attributes can have at most 16 keys.' })
  .nullable()
  .transform((a) => a ?? {});

export const expiresAfterSchema = z.object({
  anchor: z.literal('last_active_at'),
  days: z.number().int().min(1).max(365),
});

/** A store holds at least 10,000 files; one request may name that many. */
export const fileIdsSchema = z.array(z.string().min(1)).max(10_000);

/** Checked by the ingest room's validator so the messages are the hosted API's; `at` prefixes the param. */
export function parseChunking(value: unknown, at = ''): RequestedChunking {
  const result = validateChunkingStrategy(value);
  if (result.ok) return result.value;
  const param = at ? `${at}.${result.param}` : result.param;
  const message = at ? result.message.replaceAll(`'${result.param}`, `'${param}`) : result.message;
  throw new BadRequestError(message, param, codeOf(result.message));
}

function codeOf(message: string): string {
  if (message.startsWith('Missing required')) return 'missing_required_parameter';
  if (message.startsWith('Unknown parameter')) return 'unknown_parameter';
  if (message.startsWith('Invalid type')) return 'invalid_type';
  if (message.includes('below minimum')) return 'integer_below_min_value';
  if (message.includes('above maximum')) return 'integer_above_max_value';
  return 'invalid_value';
}
