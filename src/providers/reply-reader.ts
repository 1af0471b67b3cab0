/**
 * A chat-completions answer read as it arrives, for chat-stream-http.ts: the SSE events' JSON chunks handed
 * over in batches, within the byte bounds of `ReplyLimits`.
 */
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { StringDecoder } from 'node:string_decoder';
import { APIError } from 'openai';

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

/** Past this many chunks waiting for the reader, the socket is paused: a slow reader holds a bounded batch. */
const MAX_QUEUED_CHUNKS = 1024;

/**
 * Reads a 2xx answer as it arrives: the SSE events' data lines as parsed JSON, until `[DONE]` or the end (an
 * error chunk fails the read), or a server that ignored `stream: true`: its one JSON completion as one chunk.
 */
export class ReplyReader implements ChunkStream {
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

/** Node's response headers as a fetch `Headers` (what the `openai` error classes take). */
export function toHeaders(raw: IncomingHttpHeaders): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(raw)) {
    if (Array.isArray(value)) for (const v of value) headers.append(name, v);
    else if (value !== undefined) headers.set(name, value);
  }
  return headers;
}
