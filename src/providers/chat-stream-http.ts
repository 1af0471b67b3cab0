/**
 * The HTTP call behind every real chat model: POST a chat-completions body, read the SSE answer chunk by chunk.
 * Plain node:http(s) with keep-alive rather than the `openai` client, whose fetch and web streams cost about a
 * millisecond of CPU per call — most of a run's own overhead against a fast local model. Failures are thrown as
 * the `openai` package's error classes (an APIError per status, APIConnectionError, APIConnectionTimeoutError),
 * so upstream-error.ts classifies and explains them the same way for every adapter.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { APIConnectionError, APIConnectionTimeoutError, APIError } from 'openai';
import type { Abortable } from './call-signal.js';
import { ReplyReader, toHeaders, type ChunkStream, type ReplyLimits } from './reply-reader.js';

/** Sent upstream so a provider's logs show who called. */
export const USER_AGENT = 'assistd';

/** Where a model's requests go: the full URL (with any query) and the headers that carry the credentials. */
export interface ChatEndpoint {
  url: URL;
  headers: Record<string, string>;
}

export interface ChatStreamOptions {
  /** Aborting destroys the request, before or after the headers arrived. */
  signal: Abortable;
  /** Bound on connecting and sending, until the response headers arrive (and, for an error status, its body). */
  timeoutMs: number;
  limits: ReplyLimits;
}

const agents = { http: new HttpAgent({ keepAlive: true }), https: new HttpsAgent({ keepAlive: true }) };

/** An error body is kept up to this size for the message; the rest is dropped. */
const ERROR_BODY_LIMIT = 64 * 1024;

/** Thrown when the caller aborts: not an APIError, so it is never retried. */
class RequestAborted extends Error {
  override name = 'AbortError';
}

/**
 * What node:http's request() takes from an endpoint, worked out once per endpoint rather than per call: the
 * options, and the headers as name/value pairs (Host and Basic auth included), which node writes as they are
 * instead of setting and checking them one by one.
 */
interface RequestTarget {
  secure: boolean;
  options: { protocol: string; hostname: string; port: string; path: string; method: 'POST'; agent: HttpAgent };
  headers: string[];
}

const targets = new WeakMap<ChatEndpoint, RequestTarget>();

function requestTarget(endpoint: ChatEndpoint): RequestTarget {
  let target = targets.get(endpoint);
  if (!target) {
    const { url } = endpoint;
    const secure = url.protocol === 'https:';
    // An IPv6 literal comes bracketed in a URL, bare in request options.
    const hostname = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
    // Names are case-insensitive: the last value set for a name wins, as with setHeader.
    const named = new Map<string, [string, string]>();
    const set = (name: string, value: string) => named.set(name.toLowerCase(), [name, value]);
    set('host', url.host);
    if (url.username || url.password) set('authorization', `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64')}`);
    for (const [name, value] of Object.entries(endpoint.headers)) set(name, value);
    set('content-type', 'application/json');
    set('accept', 'text/event-stream');
    target = {
      secure,
      options: { protocol: url.protocol, hostname, port: url.port, path: url.pathname + url.search, method: 'POST', agent: secure ? agents.https : agents.http },
      headers: [...named.values()].flat(),
    };
    targets.set(endpoint, target);
  }
  return target;
}

/**
 * Sends the request; resolves once a 2xx answer's headers arrive, with the stream's JSON chunks. Cancelling the
 * stream before its end cancels the request.
 */
export function openChatStream(endpoint: ChatEndpoint, body: unknown, options: ChatStreamOptions): Promise<ChunkStream> {
  const { signal } = options;
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new RequestAborted('The request was aborted before it was sent.'));
    const payload = JSON.stringify(body);
    const target = requestTarget(endpoint);
    const req = (target.secure ? httpsRequest : httpRequest)({ ...target.options, headers: [...target.headers, 'content-length', String(Buffer.byteLength(payload))] });
    const onAbort = () => req.destroy(new RequestAborted('The request was aborted.'));
    signal.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(() => req.destroy(new APIConnectionTimeoutError()), options.timeoutMs);
    const detach = () => signal.removeEventListener('abort', onAbort);
    req.on('close', detach);
    req.on('error', (err) => {
      clearTimeout(timer);
      reject(err instanceof APIError || err instanceof RequestAborted ? err : new APIConnectionError({ message: err.message, cause: err }));
    });
    req.on('response', (res) => {
      clearTimeout(timer);
      const status = res.statusCode ?? 0;
      if (status >= 200 && status < 300) {
        const json = /application\/json/i.test(String(res.headers['content-type'] ?? ''));
        return resolve(new ReplyReader(res, options.limits, json));
      }
      // An error status whose body never comes must not hold the call: the body gets the same bound as the headers.
      void readErrorBody(res, options.timeoutMs).then((text) => {
        const json = parseJsonObject(text);
        reject(APIError.generate(status, json, json === undefined ? text || res.statusMessage : undefined, toHeaders(res.headers)));
      });
    });
    req.end(payload);
  });
}

/**
 * An error status's body, up to ERROR_BODY_LIMIT, as much of it as arrived within `timeoutMs` (or before the
 * connection broke): the status alone is enough to report and to decide on a retry.
 */
function readErrorBody(res: IncomingMessage, timeoutMs: number): Promise<string> {
  res.setEncoding('utf8');
  let text = '';
  return new Promise((resolve) => {
    const finish = () => {
      clearTimeout(timer);
      resolve(text.slice(0, ERROR_BODY_LIMIT));
    };
    const timer = setTimeout(() => {
      if (text === '') text = `(no error body arrived within ${timeoutMs} ms)`;
      res.destroy();
      finish();
    }, timeoutMs);
    res.on('data', (chunk: string) => {
      if (text.length < ERROR_BODY_LIMIT) text += chunk;
    });
    res.once('end', finish);
    res.once('close', finish);
    res.once('error', finish);
  });
}

/** An upstream's body as a JSON object, or undefined when it is not one (an error page, a cut body). */
export function parseJsonObject(text: string): object | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? value : undefined;
  } catch {
    return undefined;
  }
}
