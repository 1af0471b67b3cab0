/**
 * `POST /chat/completions` from a client, sent on to the upstream its model name routes to: the body as the
 * client wrote it (it is the upstream's API) with only the model name mapped, the route's keys, our retries,
 * and failures as `ProviderError`s like a run's. The answer's bytes go back unchanged.
 */
import { Readable, Transform } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { APIConnectionError, APIConnectionTimeoutError, APIError } from 'openai';
import { abortReason, type ForwardedChat } from './chat-model.js';
import { parseJsonObject, type ChatEndpoint } from './chat-stream-http.js';
import type { UpstreamTimeouts } from './client-chat-model.js';
import { defaultRetryPolicy, withRetry, type RetryPolicy } from './retry.js';
import { classifyForRetry, toProviderError, type UpstreamTarget } from './upstream-error.js';

export interface ForwardOptions {
  endpoint: ChatEndpoint;
  target: UpstreamTarget;
  timeouts: UpstreamTimeouts;
  retry?: RetryPolicy;
}

/** An error body is read up to this size. */
const ERROR_BODY_LIMIT = 64 * 1024;

/** Forwards `body`; resolves once a 2xx answer's headers arrived. Aborting `signal` cancels the upstream call. */
export async function forwardChat(options: ForwardOptions, body: Record<string, unknown>, signal: AbortSignal): Promise<ForwardedChat> {
  const { endpoint, target, timeouts } = options;
  const payload = JSON.stringify({ ...body, model: target.model });
  try {
    const res = await withRetry(() => attempt(endpoint, payload, timeouts.requestMs, signal), classifyForRetry, options.retry ?? defaultRetryPolicy, signal);
    return {
      contentType: res.headers.get('content-type') ?? 'application/json',
      body: boundedSilence(Readable.fromWeb(res.body as WebReadableStream<Uint8Array>), timeouts.idleMs),
    };
  } catch (err) {
    if (signal.aborted) throw abortReason(signal);
    throw toProviderError(err, target, timeouts.requestMs);
  }
}

/**
 * The answer's bytes, cut off when the upstream goes silent for `idleMs` (as a run's model call would be), so a
 * hung upstream cannot hold the client's connection open for ever.
 */
function boundedSilence(source: Readable, idleMs: number): Readable {
  const timer = setTimeout(() => out.destroy(new Error(`the upstream sent nothing for ${idleMs} ms`)), idleMs);
  const out = new Transform({
    transform(chunk, _encoding, done) {
      timer.refresh();
      done(null, chunk);
    },
  });
  out.on('close', () => {
    clearTimeout(timer);
    source.destroy();
  });
  source.on('error', (err) => out.destroy(err));
  return source.pipe(out);
}

/** One try, failing as the `openai` client's error classes do so retries and messages work as for runs. */
async function attempt(endpoint: ChatEndpoint, payload: string, timeoutMs: number, signal: AbortSignal): Promise<Response> {
  // The timeout bounds the wait for the headers only: a long stream afterwards is fine.
  const controller = new AbortController();
  const forward = () => controller.abort(signal.reason);
  signal.addEventListener('abort', forward, { once: true });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, timeoutMs);
  try {
    const res = await fetch(endpoint.url, {
      method: 'POST',
      headers: { ...endpoint.headers, 'content-type': 'application/json' },
      body: payload,
      signal: controller.signal,
    });
    if (res.ok && res.body) return res;
    const text = (await res.text()).slice(0, ERROR_BODY_LIMIT);
    const json = parseJsonObject(text);
    throw APIError.generate(res.status, json, json === undefined ? text || res.statusText : undefined, res.headers);
  } catch (err) {
    signal.removeEventListener('abort', forward);
    if (err instanceof APIError) throw err;
    if (signal.aborted) throw abortReason(signal);
    if (timedOut) throw new APIConnectionTimeoutError();
    throw new APIConnectionError({ message: (err as Error).message, cause: err as Error });
  } finally {
    // The abort listener stays attached while a good answer streams, so a client that goes away cancels it.
    clearTimeout(timer);
  }
}
