/**
 * The HTTP call behind every real chat model: POST a chat-completions body, read the SSE answer chunk by chunk.
 * Plain node:http(s) with keep-alive rather than the `openai` client, whose fetch and web streams cost about a
 * millisecond of CPU per call — most of a run's own overhead against a fast local model. Failures are thrown as
 * the `openai` package's error classes (an APIError per status, APIConnectionError, APIConnectionTimeoutError),
 * so upstream-error.ts classifies and explains them the same way for every adapter.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { StringDecoder } from 'node:string_decoder';
import { APIConnectionError, APIConnectionTimeoutError, APIError } from 'openai';

/** Sent upstream so a provider's logs show who called. */
export const USER_AGENT = 'assistd';

/** Where a model's requests go: the full URL (with any query) and the headers that carry the credentials. */
export interface ChatEndpoint {
  url: URL;
  headers: Record<string, string>;
}

export interface ChatStreamOptions {
  /** Aborting destroys the request, before or after the headers arrived. */
  signal: AbortSignal;
  /** Bound on connecting and sending, until the response headers arrive (and, for an error status, its body). */
  timeoutMs: number;
  limits: ReplyLimits;
}

/** How much of a reply is accepted, counted in bytes as they arrive, so a broken server cannot fill memory. */
export interface ReplyLimits {
  /** One SSE event (all its `data:` lines together), or the one JSON body of a server that does not stream. */
  maxEventBytes: number;
  /** The whole reply. */
  maxReplyBytes: number;
}

export const defaultReplyLimits: ReplyLimits = { maxEventBytes: 16 * 1024 * 1024, maxReplyBytes: 64 * 1024 * 1024 };

/** The upstream's reply went past a `ReplyLimits` bound; the call fails instead of buffering on. */
export class ReplyTooLargeError extends Error {
  override name = 'ReplyTooLargeError';
  constructor(readonly what: 'event' | 'reply', readonly limit: number) {
    super(what === 'event' ? `one event of the reply was larger than ${limit} bytes` : `the reply was larger than ${limit} bytes`);
  }
}

const agents = { http: new HttpAgent({ keepAlive: true }), https: new HttpsAgent({ keepAlive: true }) };

/** An error body is kept up to this size for the message; the rest is dropped. */
const ERROR_BODY_LIMIT = 64 * 1024;

/** Thrown when the caller aborts: not an APIError, so it is never retried. */
class RequestAborted extends Error {
  override name = 'AbortError';
}

/**
 * Sends the request; resolves once a 2xx answer's headers arrive, with the stream's JSON chunks. Stopping the
 * iteration early cancels the request.
 */
export function openChatStream(endpoint: ChatEndpoint, body: unknown, options: ChatStreamOptions): Promise<AsyncGenerator<unknown>> {
  const { signal } = options;
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new RequestAborted('The request was aborted before it was sent.'));
    const payload = JSON.stringify(body);
    const secure = endpoint.url.protocol === 'https:';
    const req = (secure ? httpsRequest : httpRequest)(endpoint.url, {
      method: 'POST',
      agent: secure ? agents.https : agents.http,
      headers: {
        ...endpoint.headers,
        'content-type': 'application/json',
        accept: 'text/event-stream',
        'content-length': Buffer.byteLength(payload),
      },
    });
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
        return resolve(json ? readCompletion(res, toHeaders(res.headers), options.limits) : readChunks(res, toHeaders(res.headers), options.limits));
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

/** The SSE answer's data lines as parsed JSON, until `[DONE]` or the end; an error chunk is thrown. */
async function* readChunks(res: IncomingMessage, headers: Headers, limits: ReplyLimits): AsyncGenerator<unknown> {
  const decoder = new StringDecoder('utf8');
  let received = 0;
  let buffer = '';
  let data: string[] = [];
  /** Characters of the current event's data lines so far (a character is at least a byte). */
  let eventChars = 0;
  let event: string | undefined;
  let done = false;
  let ended = false;
  /** One complete SSE message: its JSON, or undefined when there is nothing to yield. */
  const dispatch = (): unknown => {
    const text = data.join('\n');
    const name = event;
    data = [];
    eventChars = 0;
    event = undefined;
    if (done || text === '') return undefined;
    if (text.startsWith('[DONE]')) {
      done = true;
      return undefined;
    }
    const parsed = JSON.parse(text) as { error?: unknown; message?: string } | null;
    if (name === 'error') throw new APIError(undefined, parsed?.error ?? parsed ?? undefined, parsed?.message, undefined);
    if (parsed && parsed.error) throw new APIError(undefined, parsed.error, undefined, headers);
    return parsed;
  };
  try {
    for await (const bytes of res as AsyncIterable<Buffer>) {
      received += bytes.length;
      if (received > limits.maxReplyBytes) throw new ReplyTooLargeError('reply', limits.maxReplyBytes);
      buffer += decoder.write(bytes);
      let newline: number;
      while ((newline = buffer.indexOf('\n')) >= 0) {
        const line = buffer.charCodeAt(newline - 1) === 13 ? buffer.slice(0, newline - 1) : buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        if (line === '') {
          const value = dispatch();
          if (value !== undefined) yield value;
          continue;
        }
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? '' : line.slice(line.charCodeAt(colon + 1) === 32 ? colon + 2 : colon + 1);
        if (field === 'data') {
          data.push(value);
          eventChars += value.length + 1;
          if (eventChars > limits.maxEventBytes) throw new ReplyTooLargeError('event', limits.maxEventBytes);
        } else if (field === 'event') event = value;
      }
      // An endless line, or one event spread over endless `data:` lines, must not grow memory without bound.
      if (eventChars + buffer.length > limits.maxEventBytes) throw new ReplyTooLargeError('event', limits.maxEventBytes);
    }
    buffer += decoder.end();
    if (buffer !== '' && buffer.startsWith('data:')) data.push(buffer.slice(buffer.charCodeAt(5) === 32 ? 6 : 5));
    const last = dispatch();
    if (last !== undefined) yield last;
    ended = true;
  } finally {
    // A consumer that stopped early, or a failure: the connection is not reused.
    if (!ended) res.destroy();
  }
}

/**
 * A server that ignores `stream: true` answers with one chat.completion object: it is read whole and given back
 * as a single chunk carrying the message, the finish reason and the usage.
 */
async function* readCompletion(res: IncomingMessage, headers: Headers, limits: ReplyLimits): AsyncGenerator<unknown> {
  const parts: Buffer[] = [];
  let received = 0;
  for await (const bytes of res as AsyncIterable<Buffer>) {
    received += bytes.length;
    // The one JSON body is one event: both bounds apply.
    if (received > Math.min(limits.maxEventBytes, limits.maxReplyBytes)) {
      res.destroy();
      throw new ReplyTooLargeError(limits.maxEventBytes <= limits.maxReplyBytes ? 'event' : 'reply', Math.min(limits.maxEventBytes, limits.maxReplyBytes));
    }
    parts.push(bytes);
  }
  const text = Buffer.concat(parts).toString('utf8');
  const body = JSON.parse(text) as { error?: unknown; choices?: Array<{ index?: number; finish_reason?: string | null; message?: { role?: string; content?: string | null; tool_calls?: object[] } }> } & Record<string, unknown>;
  if (body.error) throw new APIError(undefined, body.error, undefined, headers);
  const choices = (body.choices ?? []).map((choice) => ({
    index: choice.index ?? 0,
    finish_reason: choice.finish_reason ?? null,
    delta: {
      role: choice.message?.role ?? 'assistant',
      content: choice.message?.content ?? null,
      ...(choice.message?.tool_calls ? { tool_calls: choice.message.tool_calls.map((call, index) => ({ index, ...call })) } : {}),
    },
  }));
  yield { id: body.id, object: 'chat.completion.chunk', created: body.created, model: body.model, choices, usage: body.usage ?? null };
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

function toHeaders(raw: IncomingHttpHeaders): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(raw)) {
    if (Array.isArray(value)) for (const v of value) headers.append(name, v);
    else if (value !== undefined) headers.set(name, value);
  }
  return headers;
}
