/**
 * One streamed call to an upstream chat-completions endpoint: opens it (retrying what is worth retrying, and
 * without `stream_options` where a server rejects it), bounds its idle and total time, and hands out its chunks
 * as normalized events. client-chat-model.ts makes the `ChatModel` whose `stream` starts these.
 */
import { APIError } from 'openai';
import type { ChatCompletionChunk, ChatCompletionCreateParamsStreaming } from 'openai/resources/chat/completions';
import { ProviderError, abortReason, type ChatEvent, type ChatRequest } from './chat-model.js';
import { CallSignal, type Abortable } from './call-signal.js';
import { openChatStream } from './chat-stream-http.js';
import { defaultReplyLimits, ReplyTooLargeError, type ChunkStream } from './reply-reader.js';
import { ChunkNormalizer } from './chunk-normalizer.js';
import { defaultRetryPolicy, withRetry } from './retry.js';
import { classifyForRetry, internalWhere, publicWhere, toProviderError, type UpstreamTarget } from './upstream-error.js';
import type { ClientChatModelOptions } from './client-chat-model.js';
// Base URLs whose server rejected `stream_options` (older Azure api-versions, some local servers); we stop
// sending it there and estimate usage instead. Process-wide because the answer does not change.
const rejectsStreamOptions = new Set<string>();

const DONE: IteratorReturnResult<undefined> = { value: undefined, done: true };

/**
 * One streamed call, as a hand-written iterator rather than an async generator: the events of each batch of
 * chunks are handed out from an array, which spares a generator step and its promises per event.
 */
export class ChatCall implements AsyncIterableIterator<ChatEvent> {
  private events: ChatEvent[] = [];
  private next_ = 0;
  private stream: ChunkStream | undefined;
  private readonly normalizer = new ChunkNormalizer();
  // The caller's signal, the idle and total timers and an early `return` all cancel through it.
  private readonly upstream = new CallSignal();
  private readonly forward = () => this.cut(this.signal.reason);
  private readonly total: NodeJS.Timeout;
  private idle: NodeJS.Timeout | undefined;
  private idleTimedOut = false;
  private totalTimedOut = false;
  /** The reply was read to its end: nothing is left to cancel (and aborting costs an error object per call). */
  private drained = false;
  private closed = false;

  constructor(private readonly options: ClientChatModelOptions, private readonly req: ChatRequest, private readonly signal: AbortSignal) {
    signal.addEventListener('abort', this.forward, { once: true });
    if (signal.aborted) this.forward();
    // Idle silence is not the only way to hang: a server may trickle deltas forever, or retries may add up.
    this.total = setTimeout(() => {
      this.totalTimedOut = true;
      this.cut();
    }, options.timeouts.totalMs);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<ChatEvent>> {
    if (this.next_ < this.events.length) return Promise.resolve({ value: this.events[this.next_++]!, done: false });
    if (this.closed) return Promise.resolve(DONE);
    return this.fill();
  }

  /** The consumer stopped early: the request is cancelled. */
  return(): Promise<IteratorResult<ChatEvent>> {
    this.close();
    return Promise.resolve(DONE);
  }

  /** Reads until the next batch of events (or the closing ones), mapping a failure to a `ProviderError`. */
  private async fill(): Promise<IteratorResult<ChatEvent>> {
    const { target, timeouts } = this.options;
    try {
      if (!this.stream) {
        this.stream = await openStream(this.options, this.req, this.upstream);
        this.idle = setTimeout(() => {
          this.idleTimedOut = true;
          this.cut();
        }, timeouts.idleMs);
      } else {
        // Refreshed after the consumer took the events, so a slow consumer is not blamed on the upstream.
        this.idle!.refresh();
      }
      for (let chunks = await this.stream.read(); chunks; chunks = await this.stream.read()) {
        this.idle!.refresh();
        const events: ChatEvent[] = [];
        for (const chunk of chunks) for (const event of this.normalizer.push(chunk as ChatCompletionChunk)) events.push(event);
        if (events.length > 0) return this.hand(events);
      }
      this.drained = true;
      // A reply cut short on our side can end quietly; find out why it ended.
      const early = this.cutShort();
      if (early) throw early;
      const closing = this.normalizer.end(this.req, publicWhere(target));
      this.close();
      return this.hand(closing);
    } catch (err) {
      this.close();
      const early = this.cutShort();
      if (early) throw early;
      if (err instanceof ReplyTooLargeError) throw tooLargeError(err);
      throw toProviderError(err, target, timeouts.requestMs);
    }
  }

  private hand(events: ChatEvent[]): IteratorResult<ChatEvent> {
    this.events = events;
    this.next_ = 1;
    return { value: events[0]!, done: false };
  }

  /** Why the call ended early on our side, if it did: the caller, the idle timer or the total deadline. */
  private cutShort(): unknown {
    const { target, timeouts } = this.options;
    if (this.signal.aborted) return abortReason(this.signal);
    if (this.idleTimedOut) return idleError(target, timeouts.idleMs);
    if (this.totalTimedOut) return totalError(target, timeouts.totalMs);
    return undefined;
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.total);
    clearTimeout(this.idle);
    this.signal.removeEventListener('abort', this.forward);
    if (!this.drained) this.cut();
  }

  /** Cancels the request: the attempt or wait in flight, or the reply being read. */
  private cut(reason?: unknown): void {
    this.upstream.abort(reason);
    this.stream?.cancel();
  }
}

/** Opens the stream, retrying; `signal` (the call's own) also cuts a wait between attempts short. */
async function openStream(options: ClientChatModelOptions, req: ChatRequest, signal: Abortable) {
  const { endpoint, target, timeouts } = options;
  const limits = options.limits ?? defaultReplyLimits;
  const open = (usage: boolean) =>
    withRetry(
      () => openChatStream(endpoint, buildBody(req, target.model, usage), { signal, timeoutMs: timeouts.requestMs, limits }),
      classifyForRetry,
      options.retry ?? defaultRetryPolicy,
      signal,
    );
  const server = endpoint.url.origin + endpoint.url.pathname;
  const withUsage = !rejectsStreamOptions.has(server);
  try {
    return await open(withUsage);
  } catch (err) {
    if (!withUsage || !isStreamOptionsRejection(err)) throw err;
    rejectsStreamOptions.add(server);
    return await open(false);
  }
}

function isStreamOptionsRejection(err: unknown): boolean {
  return err instanceof APIError && err.status === 400 && /stream_options/i.test(err.message);
}

/** The chat-completions body: only what the request sets, so strict servers see no unexpected nulls. */
export function buildBody(req: ChatRequest, upstreamModel: string, includeUsage: boolean): ChatCompletionCreateParamsStreaming {
  const body: ChatCompletionCreateParamsStreaming = {
    model: upstreamModel,
    messages: req.messages as ChatCompletionCreateParamsStreaming['messages'],
    stream: true,
  };
  if (includeUsage) body.stream_options = { include_usage: true };
  // OpenAI rejects tool_choice and parallel_tool_calls when no tools are offered.
  if (req.tools && req.tools.length > 0) {
    body.tools = req.tools as ChatCompletionCreateParamsStreaming['tools'];
    if (req.tool_choice !== undefined) body.tool_choice = req.tool_choice;
    if (req.parallel_tool_calls !== undefined) body.parallel_tool_calls = req.parallel_tool_calls;
  }
  if (req.temperature != null) body.temperature = req.temperature;
  if (req.top_p != null) body.top_p = req.top_p;
  if (req.max_tokens !== undefined) {
    // Reasoning models accept only the newer name; everything else (Ollama, vLLM, older Azure) the older one.
    if (/^(o\d|gpt-5)/i.test(upstreamModel)) body.max_completion_tokens = req.max_tokens;
    else body.max_tokens = req.max_tokens;
  }
  if (req.response_format !== undefined) {
    body.response_format = req.response_format as ChatCompletionCreateParamsStreaming['response_format'];
  }
  return body;
}

function idleError(target: UpstreamTarget, idleMs: number): ProviderError {
  return new ProviderError('server_error', `${publicWhere(target)} sent nothing for ${idleMs} ms and was given up on`, { upstream: internalWhere(target) });
}

function totalError(target: UpstreamTarget, totalMs: number): ProviderError {
  return new ProviderError('server_error', `${publicWhere(target)} did not finish its reply within ${totalMs} ms (the total deadline of a model call) and was given up on`, { upstream: internalWhere(target) });
}

/** No URL here: the size says enough, and the limit names the setting that raises it. */
function tooLargeError(err: ReplyTooLargeError): ProviderError {
  const setting = err.what === 'event' ? 'ASSISTD_UPSTREAM_MAX_EVENT_BYTES' : 'ASSISTD_UPSTREAM_MAX_REPLY_BYTES';
  return new ProviderError('server_error', `The model's upstream reply was too large: ${err.message} (${setting}).`, { cause: err });
}
