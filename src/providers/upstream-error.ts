/**
 * Turns whatever the openai client or the network threw into a `ProviderError` whose message tells the
 * person reading `last_error` which model failed and what to set, and decides what is worth retrying. The
 * message never shows the upstream's URL or host (a key holder of any project reads it); the error's
 * `upstream` carries them to the operator's log.
 */
import { APIConnectionError, APIConnectionTimeoutError, APIError } from 'openai';
import { ProviderError, errorCodeForStatus } from './chat-model.js';
import { retryAfterMs, type RetryVerdict } from './retry.js';

/** Where a model call went, and the advice to give when it fails. */
export interface UpstreamTarget {
  /** The model name the client asked for (safe to show); default `model`. */
  name?: string;
  /** Base URL (or Azure endpoint) the request went to. */
  url: string;
  /** The upstream model or deployment name. */
  model: string;
  /** What to set when the upstream cannot be reached, e.g. "set OPENAI_BASE_URL or add a models: entry". */
  setupHint: string;
  /** What to set when the upstream rejects the credentials. */
  keyHint: string;
}

/** Retry connection failures, timeouts, 408/409/429 and 5xx; obey `x-should-retry` when the upstream sends it. */
export function classifyForRetry(err: unknown): RetryVerdict {
  if (err instanceof APIConnectionError) return { retryable: true };
  if (!(err instanceof APIError) || err.status === undefined) return { retryable: false };
  const hint = err.headers?.get('x-should-retry');
  const after = retryAfterMs(err.headers);
  const retryable =
    hint === 'true' ||
    (hint !== 'false' && (err.status === 408 || err.status === 409 || err.status === 429 || err.status >= 500));
  return after === undefined ? { retryable } : { retryable, retryAfterMs: after };
}

/** How messages name the upstream to the client: by the model name it asked for. */
export function publicWhere(target: UpstreamTarget): string {
  return `the upstream of model "${target.name ?? target.model}"`;
}

/** Where the call really went, for the log. */
export function internalWhere(target: UpstreamTarget): string {
  return `${target.url} (model ${target.model})`;
}

/** Maps a failure of one model call to a `ProviderError` (an existing `ProviderError` passes through). */
export function toProviderError(err: unknown, target: UpstreamTarget, timeoutMs: number): ProviderError {
  const mapped = mapError(err, target, timeoutMs);
  mapped.upstream ??= internalWhere(target);
  return mapped;
}

function mapError(err: unknown, target: UpstreamTarget, timeoutMs: number): ProviderError {
  if (err instanceof ProviderError) return err;
  const where = publicWhere(target);
  if (err instanceof APIConnectionTimeoutError) {
    return new ProviderError('server_error', `${where} did not answer within ${timeoutMs} ms`, { cause: err });
  }
  if (err instanceof APIConnectionError) {
    const reason = describeCause(err);
    return new ProviderError('server_error', `could not reach ${where}${reason}: ${target.setupHint}`, {
      cause: err,
    });
  }
  if (err instanceof APIError) return fromStatus(err, where, target);
  if (err instanceof SyntaxError) {
    return new ProviderError('server_error', `malformed stream from ${where}: a chunk was not valid JSON`, {
      cause: err,
    });
  }
  const message = err instanceof Error ? redact(err.message, target) : String(err);
  return new ProviderError('server_error', `the stream from ${where} broke off mid-way (${message})`, { cause: err });
}

function fromStatus(err: APIError, where: string, target: UpstreamTarget): ProviderError {
  const detail = redact(upstreamMessage(err), target);
  const status = err.status;
  if (status === undefined) {
    return new ProviderError('server_error', `${where} reported an error mid-stream: ${detail}`, { cause: err });
  }
  const options = { status, cause: err };
  if (status === 401 || status === 403) {
    return new ProviderError('server_error', `${where} rejected the credentials (${status}): ${detail}; ${target.keyHint}`, options);
  }
  if (status === 404) {
    return new ProviderError('server_error', `${where} answered 404: ${detail}; check the model or deployment name, or ${target.setupHint}`, options);
  }
  const code = errorCodeForStatus(status);
  const prefix = code === 'rate_limit_exceeded' ? `rate limited by ${where}` : `${where} answered ${status}`;
  return new ProviderError(code, `${prefix}: ${detail}`, options);
}

const URL_IN_TEXT = /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>)]+/gi;
/** Longest upstream text shown; an HTML error page from a proxy is not a message. */
const DETAIL_LIMIT = 300;

/**
 * Upstream text as the client may see it: without URLs, the upstream's host, or the deployment path, and short.
 * A proxy's error page or a server quoting its own address must not leak the deployment to other key holders.
 */
export function redact(text: string, target: Pick<UpstreamTarget, 'url'>): string {
  let host = '';
  try {
    host = new URL(target.url).host;
  } catch {
    host = '';
  }
  let out = text.replace(URL_IN_TEXT, '[url]');
  if (host) out = out.split(host).join('[host]');
  const hostname = host.replace(/:\d+$/, '');
  if (hostname) out = out.split(hostname).join('[host]');
  return out.length > DETAIL_LIMIT ? `${out.slice(0, DETAIL_LIMIT)}…` : out;
}

function upstreamMessage(err: APIError): string {
  const body = err.error as { message?: unknown } | undefined;
  if (body && typeof body.message === 'string' && body.message) return body.message;
  return err.message.replace(/^\d{3}\s+/, '') || 'no details given';
}

function describeCause(err: APIConnectionError): string {
  const cause = err.cause as { code?: string; cause?: { code?: string } } | undefined;
  const code = cause?.code ?? cause?.cause?.code;
  return code ? ` (${code})` : '';
}

/** The upstream's own `param` and `code` for a failure it reported: names, not addresses, so safe to show. */
export function upstreamErrorFields(err: ProviderError): { param: string | null; code: string | null } {
  const cause = err.cause;
  if (!(cause instanceof APIError)) return { param: null, code: null };
  return { param: typeof cause.param === 'string' ? cause.param : null, code: typeof cause.code === 'string' ? cause.code : null };
}
