/**
 * A `ChatModel` over an upstream chat-completions endpoint (OpenAI-compatible or Azure): builds the streaming
 * request, retries what is worth retrying, bounds every wait, and normalizes the chunks. Both real adapters are
 * thin factories around this; the HTTP call itself is chat-stream-http.ts.
 */
import { APIError, type ClientOptions } from 'openai';
import type { ChatCompletionChunk, ChatCompletionCreateParamsStreaming } from 'openai/resources/chat/completions';
import {
  ProviderError,
  abortReason,
  type ChatEvent,
  type ChatModel,
  type ChatModelInfo,
  type ChatRequest,
} from './chat-model.js';
import { CallSignal, type Abortable } from './call-signal.js';
import { openChatStream, type ChatEndpoint } from './chat-stream-http.js';
import { defaultReplyLimits, ReplyTooLargeError, type ChunkStream, type ReplyLimits } from './reply-reader.js';
import { forwardChat } from './chat-passthrough.js';
import { ChunkNormalizer } from './chunk-normalizer.js';
import { DEFAULT_CONTEXT_WINDOW, lookupModel } from './model-catalog.js';
import { withPromptedTools } from './prompted-tools.js';
import { defaultRetryPolicy, withRetry, type RetryPolicy } from './retry.js';
import { classifyForRetry, internalWhere, publicWhere, toProviderError, type UpstreamTarget } from './upstream-error.js';

/** How long to wait on an upstream. Every wait is bounded so a run can never hang on a silent server. */
export interface UpstreamTimeouts {
  /** Connect and send, until the response headers arrive (per attempt). */
  requestMs: number;
  /** Longest silence in the response body, including before the first chunk (a local model loading counts). */
  idleMs: number;
  /** The whole call: every attempt, the waits between them and the streamed reply (a server that never stops). */
  totalMs: number;
}

export const defaultTimeouts: UpstreamTimeouts = { requestMs: 60_000, idleMs: 120_000, totalMs: 600_000 };

/** Settings every client-backed adapter (OpenAI-compatible, Azure) takes for one model name. */
export interface AdapterSettings {
  /** The model name runs use. */
  name: string;
  contextWindow?: number;
  supportsTools?: boolean;
  supportsVision?: boolean;
  timeouts?: Partial<UpstreamTimeouts>;
  retry?: RetryPolicy;
  limits?: ReplyLimits;
  /** Shown when the server cannot be reached, e.g. "set OPENAI_BASE_URL or add a models: entry". */
  setupHint?: string;
  /** Shown when the server rejects the key. */
  keyHint?: string;
}

export interface ClientChatModelOptions {
  endpoint: ChatEndpoint;
  info: ChatModelInfo;
  target: UpstreamTarget;
  timeouts: UpstreamTimeouts;
  retry?: RetryPolicy;
  limits?: ReplyLimits;
}

/**
 * Options for an `openai` client (the embedding models use one): everything the client would otherwise read
 * from process.env is given explicitly (so a stray OPENAI_ORG_ID cannot reach a local server), and retries and
 * timeouts are ours, not the client's.
 */
export function clientOptions(timeouts: UpstreamTimeouts) {
  return {
    organization: null,
    project: null,
    adminAPIKey: null,
    webhookSecret: null,
    timeout: timeouts.requestMs,
    maxRetries: 0,
    logLevel: 'off',
  } satisfies ClientOptions;
}

// Base URLs whose server rejected `stream_options` (older Azure api-versions, some local servers); we stop
// sending it there and estimate usage instead. Process-wide because the answer does not change.
const rejectsStreamOptions = new Set<string>();

/** How one adapter reaches its upstream: what differs between OpenAI-compatible servers and Azure. */
export interface AdapterTarget {
  endpoint: ChatEndpoint;
  provider: string;
  /** Base URL or Azure endpoint, for messages. */
  url: string;
  /** The model or deployment name sent upstream. */
  upstreamModel: string;
  setupHint: string;
  keyHint: string;
}

/**
 * The `ChatModel` for an adapter's settings: model info from the settings, else the catalog (by the upstream
 * name, then the run's), the timeouts and retry policy, and where the calls go.
 */
export function createAdapterModel(cfg: AdapterSettings, target: AdapterTarget): ChatModel {
  const known = lookupModel(target.upstreamModel) ?? lookupModel(cfg.name);
  const { url } = target.endpoint;
  const model = createClientChatModel({
    endpoint: target.endpoint,
    info: {
      name: cfg.name,
      provider: target.provider,
      contextWindow: cfg.contextWindow ?? known?.contextWindow ?? DEFAULT_CONTEXT_WINDOW,
      supportsTools: cfg.supportsTools ?? true,
      supportsVision: cfg.supportsVision ?? known?.supportsVision ?? false,
    },
    target: {
      name: cfg.name,
      url: target.url,
      model: target.upstreamModel,
      setupHint: cfg.setupHint ?? target.setupHint,
      keyHint: cfg.keyHint ?? target.keyHint,
    },
    timeouts: { ...defaultTimeouts, ...cfg.timeouts },
    ...(cfg.retry ? { retry: cfg.retry } : {}),
    ...(cfg.limits ? { limits: cfg.limits } : {}),
  });
  return withPromptedTools(model, { always: cfg.supportsTools === false, key: `${url.origin}${url.pathname} ${target.upstreamModel}` });
}

/** Creates a `ChatModel` that streams from `endpoint`. */
function createClientChatModel(options: ClientChatModelOptions): ChatModel {
  return {
    info: options.info,
    stream: (req, signal) => new ChatCall(options, req, signal),
    forward: (body, signal) => forwardChat(options, body, signal),
  };
}

const DONE: IteratorReturnResult<undefined> = { value: undefined, done: true };

/**
 * One streamed call, as a hand-written iterator rather than an async generator: the events of each batch of
 * chunks are handed out from an array, which spares a generator step and its promises per event.
 */
class ChatCall implements AsyncIterableIterator<ChatEvent> {
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
