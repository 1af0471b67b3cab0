import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../domain/errors.js';
import type { RateLimiter, RequestKind } from '../ops/rate-limiter.js';

/** Routes that make model calls. */
const MODEL_WORK = /\/(threads(\/:thread_id)?\/runs|responses|chat\/completions|embeddings)$/;

function kindOf(request: FastifyRequest): RequestKind {
  if (request.method !== 'POST') return { usesTokens: false };
  return { usesTokens: MODEL_WORK.test(request.routeOptions.url ?? '') };
}

/**
 * Counts the request against the key's and the project's limits and sets the `x-ratelimit-*` headers; over a
 * limit, answers 429 `rate_limit_exceeded` (with `retry-after`) as the hosted service did.
 */
export async function enforceRateLimits(limiter: RateLimiter, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const verdict = await limiter.admit(request.project, request.keyId, kindOf(request));
  for (const [name, value] of Object.entries(verdict.headers)) reply.header(name, value);
  if (verdict.allowed) return;
  reply.header('retry-after', String(Math.ceil(verdict.retryAfterMs / 1000)));
  throw new ApiError(429, verdict.message, verdict.type, null, 'rate_limit_exceeded');
}
