/**
 * Retry with backoff for upstream calls. The openai client has its own retry loop, but its waits ignore the
 * abort signal (a cancelled run would sit out a long `retry-after`) and it honours any `retry-after` however
 * large (a run would hang). So adapters set the client's `maxRetries: 0` and retry here instead.
 */
import type { Abortable } from './call-signal.js';
import { abortReason } from './chat-model.js';

export interface RetryPolicy {
  /** Retries after the first attempt. */
  maxRetries: number;
  /** Longest wait an upstream may ask for; a longer `retry-after` fails at once instead of hanging the run. */
  maxRetryAfterMs: number;
  /** First backoff when the upstream gives no `retry-after`; doubles per retry, capped at 8 s. */
  initialBackoffMs: number;
}

export const defaultRetryPolicy: RetryPolicy = { maxRetries: 2, maxRetryAfterMs: 60_000, initialBackoffMs: 500 };

/** What the retry loop needs to know about a failure. */
export interface RetryVerdict {
  retryable: boolean;
  /** Wait the upstream asked for, if any. */
  retryAfterMs?: number;
}

/**
 * Runs `attempt` until it succeeds, a failure is not retryable, retries are spent, or `signal` aborts.
 * The last error is rethrown unchanged; the caller maps it.
 */
export async function withRetry<T>(
  attempt: () => Promise<T>,
  classify: (err: unknown) => RetryVerdict,
  policy: RetryPolicy,
  signal?: Abortable,
): Promise<T> {
  for (let retry = 0; ; retry++) {
    try {
      return await attempt();
    } catch (err) {
      if (signal?.aborted) throw abortReason(signal);
      const verdict = classify(err);
      if (!verdict.retryable || retry >= policy.maxRetries) throw err;
      if (verdict.retryAfterMs !== undefined && verdict.retryAfterMs > policy.maxRetryAfterMs) throw err;
      await sleep(verdict.retryAfterMs ?? backoffMs(policy.initialBackoffMs, retry), signal);
    }
  }
}

function backoffMs(initialMs: number, retry: number): number {
  const base = Math.min(initialMs * 2 ** retry, 8_000);
  return base * (1 - Math.random() * 0.25);
}

/** Reads `retry-after-ms` or `retry-after` (seconds or an HTTP date) from upstream response headers. */
export function retryAfterMs(headers: Headers | undefined): number | undefined {
  if (!headers) return undefined;
  const ms = Number.parseFloat(headers.get('retry-after-ms') ?? '');
  if (Number.isFinite(ms) && ms >= 0) return ms;
  const value = headers.get('retry-after');
  if (value === null) return undefined;
  const seconds = Number.parseFloat(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

/** Waits `ms`, or throws the abort reason as soon as `signal` aborts. */
export function sleep(ms: number, signal?: Abortable): Promise<void> {
  if (signal?.aborted) return Promise.reject(abortReason(signal));
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortReason(signal!));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
