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
import type { Abortable } from './call-signal.js';

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
 * A 2xx answer's JSON chunks, taken in batches: everything that arrived since the last `read`. A model's chunks
 * come several to a socket read; handing them over together spares a promise and a generator step per chunk.
 */
export interface ChunkStream {
  /** The chunks that arrived since the last call (at least one), or undefined once the reply is over. */
  read(): Promise<unknown[] | undefined>;
  /** Stops reading before the end: the connection is not reused. */
  cancel(): void;
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

/** Past this many chunks waiting for the reader, the socket is paused: a slow reader holds a bounded batch. */
const MAX_QUEUED_CHUNKS = 1024;

/**
 * Reads a 2xx answer as it arrives: the SSE events' data lines as parsed JSON, until `[DONE]` or the end (an
 * error chunk fails the read), or a server that ignored `stream: true`: its one JSON completion as one chunk.
 */
class ReplyReader implements ChunkStream {
  private readonly decoder = new StringDecoder('utf8');
  private received = 0;
  private buffer = '';
  private data: string[] = [];
  /** Characters of the current event's data lines so far (a character is at least a byte). */
  private eventChars = 0;
  private event: string | undefined;
  private done = false;
  private queue: unknown[] = [];
  private failure: unknown;
  private ended = false;
  private waiter: { resolve: (chunks: unknown[] | undefined) => void; reject: (err: unknown) => void } | undefined;
  /** The whole body of a JSON answer, gathered until its end. */
  private readonly parts: Buffer[] | undefined;

  constructor(private readonly res: IncomingMessage, private readonly limits: ReplyLimits, json: boolean) {
    if (json) this.parts = [];
    res.on('data', (bytes: Buffer) => this.guard(() => (this.parts ? this.gather(bytes) : this.parse(bytes))));
    res.on('end', () => this.guard(() => this.finish()));
    res.on('error', (err) => this.fail(err));
    // A reply cut off before its end (without an error of its own) is a broken reply too.
    res.on('close', () => {
      if (!this.ended) this.fail(new Error('aborted'));
    });
  }

  read(): Promise<unknown[] | undefined> {
    if (this.queue.length > 0) return Promise.resolve(this.take());
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (this.ended) return Promise.resolve(undefined);
    return new Promise((resolve, reject) => (this.waiter = { resolve, reject }));
  }

  cancel(): void {
    if (!this.ended) this.res.destroy();
  }

  private take(): unknown[] {
    const chunks = this.queue;
    this.queue = [];
    if (this.res.isPaused()) this.res.resume();
    return chunks;
  }

  /** Runs a step of the reading; what it throws fails the reply (the chunks before it are still read). */
  private guard(step: () => void): void {
    if (this.failure !== undefined || this.ended) return;
    try {
      step();
    } catch (err) {
      return this.fail(err);
    }
    this.wake();
  }

  private wake(): void {
    const waiter = this.waiter;
    if (!waiter || (this.queue.length === 0 && !this.ended)) return;
    this.waiter = undefined;
    waiter.resolve(this.queue.length > 0 ? this.take() : undefined);
  }

  private fail(err: unknown): void {
    if (this.failure !== undefined || this.ended) return;
    this.failure = err;
    // A failed reply's connection is not reused.
    this.res.destroy();
    const waiter = this.waiter;
    if (!waiter) return;
    this.waiter = undefined;
    if (this.queue.length > 0) waiter.resolve(this.take());
    else waiter.reject(err);
  }

  private parse(bytes: Buffer): void {
    const { limits } = this;
    this.received += bytes.length;
    if (this.received > limits.maxReplyBytes) throw new ReplyTooLargeError('reply', limits.maxReplyBytes);
    let buffer = this.buffer + this.decoder.write(bytes);
    let start = 0;
    let newline: number;
    while ((newline = buffer.indexOf('\n', start)) >= 0) {
      const line = buffer.charCodeAt(newline - 1) === 13 && newline > start ? buffer.slice(start, newline - 1) : buffer.slice(start, newline);
      start = newline + 1;
      this.line(line);
    }
    buffer = start === 0 ? buffer : buffer.slice(start);
    this.buffer = buffer;
    // An endless line, or one event spread over endless `data:` lines, must not grow memory without bound.
    if (this.eventChars + buffer.length > limits.maxEventBytes) throw new ReplyTooLargeError('event', limits.maxEventBytes);
    if (this.queue.length >= MAX_QUEUED_CHUNKS && !this.waiter) this.res.pause();
  }

  private line(line: string): void {
    if (line === '') return this.dispatch();
    if (line.charCodeAt(0) === 58 /* : */) return;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(line.charCodeAt(colon + 1) === 32 ? colon + 2 : colon + 1);
    if (field === 'data') {
      this.data.push(value);
      this.eventChars += value.length + 1;
      if (this.eventChars > this.limits.maxEventBytes) throw new ReplyTooLargeError('event', this.limits.maxEventBytes);
    } else if (field === 'event') this.event = value;
  }

  /** One complete SSE message: its JSON is queued, unless there is nothing to pass on. */
  private dispatch(): void {
    const text = this.data.length === 1 ? this.data[0]! : this.data.join('\n');
    const name = this.event;
    this.data = [];
    this.eventChars = 0;
    this.event = undefined;
    if (this.done || text === '') return;
    if (text.startsWith('[DONE]')) {
      this.done = true;
      return;
    }
    const parsed = JSON.parse(text) as { error?: unknown; message?: string } | null;
    if (name === 'error') throw new APIError(undefined, parsed?.error ?? parsed ?? undefined, parsed?.message, undefined);
    if (parsed && parsed.error) throw new APIError(undefined, parsed.error, undefined, toHeaders(this.res.headers));
    this.queue.push(parsed);
  }

  private finish(): void {
    if (this.parts) this.queue.push(completionChunk(Buffer.concat(this.parts).toString('utf8'), this.res.headers));
    else {
      const rest = this.buffer + this.decoder.end();
      if (rest !== '' && rest.startsWith('data:')) this.data.push(rest.slice(rest.charCodeAt(5) === 32 ? 6 : 5));
      this.dispatch();
    }
    this.ended = true;
  }

  private gather(bytes: Buffer): void {
    const { limits } = this;
    this.received += bytes.length;
    // The one JSON body is one event: both bounds apply.
    const limit = Math.min(limits.maxEventBytes, limits.maxReplyBytes);
    if (this.received > limit) throw new ReplyTooLargeError(limits.maxEventBytes <= limits.maxReplyBytes ? 'event' : 'reply', limit);
    this.parts!.push(bytes);
  }
}

/**
 * A server that ignores `stream: true` answers with one chat.completion object: it is given back as a single
 * chunk carrying the message, the finish reason and the usage.
 */
function completionChunk(text: string, raw: IncomingHttpHeaders): unknown {
  const body = JSON.parse(text) as { error?: unknown; choices?: Array<{ index?: number; finish_reason?: string | null; message?: { role?: string; content?: string | null; tool_calls?: object[] } }> } & Record<string, unknown>;
  if (body.error) throw new APIError(undefined, body.error, undefined, toHeaders(raw));
  const choices = (body.choices ?? []).map((choice) => ({
    index: choice.index ?? 0,
    finish_reason: choice.finish_reason ?? null,
    delta: {
      role: choice.message?.role ?? 'assistant',
      content: choice.message?.content ?? null,
      ...(choice.message?.tool_calls ? { tool_calls: choice.message.tool_calls.map((call, index) => ({ index, ...call })) } : {}),
    },
  }));
  return { id: body.id, object: 'chat.completion.chunk', created: body.created, model: body.model, choices, usage: body.usage ?? null };
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
