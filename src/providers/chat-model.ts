/**
 * The narrow interface between the run engine and any chat model. The engine builds a `ChatRequest` in
 * chat-completions shape and consumes a normalized `ChatEvent` stream; adapters hide every upstream quirk.
 */
import type { Abortable } from './call-signal.js';
import type { Readable } from 'node:stream';

/** One part of a multimodal user message, as chat-completions accepts it. */
export type ChatContentPart =
  | { type: 'text'; text: string }
  | { type: 'image_url'; image_url: { url: string; detail?: 'auto' | 'low' | 'high' } };

/** A tool call made by the assistant, complete (arguments is a JSON string). */
export interface ChatToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

/** A message of the conversation sent to the model. */
export type ChatMessage =
  | { role: 'system'; content: string }
  | { role: 'user'; content: string | ChatContentPart[] }
  | { role: 'assistant'; content: string | null; tool_calls?: ChatToolCall[] }
  | { role: 'tool'; tool_call_id: string; content: string };

/** A function the model may call. Built-in tools are offered to the model in this shape too. */
export interface ChatTool {
  type: 'function';
  function: { name: string; description?: string; parameters?: object; strict?: boolean };
}

/** One model call. `model` is the name the run asked for; adapters map it to the upstream name. */
export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  tools?: ChatTool[];
  tool_choice?: 'none' | 'auto' | 'required' | { type: 'function'; function: { name: string } };
  parallel_tool_calls?: boolean;
  temperature?: number | null;
  top_p?: number | null;
  max_tokens?: number;
  response_format?: object;
}

/** Why the model stopped; unknown upstream values are reported as `stop`. */
export type ChatFinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter';

/** Token counts of one model call; estimated with a real tokenizer when the upstream gives none. */
export interface ChatUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

/**
 * A normalized stream event. For each tool call `index`, the first event carries `id` and `name` and later
 * events never do; concatenating `arguments_delta` in order gives the arguments JSON string. A stream ends
 * with exactly one `usage` followed by exactly one `finish`, or throws.
 */
export type ChatEvent =
  | { type: 'text'; delta: string }
  | { type: 'tool_call'; index: number; id?: string; name?: string; arguments_delta: string }
  | ({ type: 'usage' } & ChatUsage)
  | { type: 'finish'; reason: ChatFinishReason };

/** What the engine needs to know about a model before calling it (prompt budget, which inputs it takes). */
export interface ChatModelInfo {
  /** The model name the run asked for. */
  name: string;
  /** 'openai-compatible', 'azure' or 'scripted'. */
  provider: string;
  contextWindow: number;
  supportsTools: boolean;
  supportsVision: boolean;
}

/**
 * A model that can be called. `stream` yields events as they arrive and ends with `finish`; a failure
 * throws a `ProviderError`. When `signal` aborts, the upstream request is cancelled and the iteration
 * throws `signal.reason` (an `AbortError` unless the caller gave its own reason).
 */
export interface ChatModel {
  info: ChatModelInfo;
  stream(req: ChatRequest, signal: AbortSignal): AsyncIterable<ChatEvent>;
  /**
   * Sends a client's own chat-completions body to the upstream as it is (only the model name mapped), with this
   * model's keys, retries and error mapping (`ProviderError`). Absent where there is no upstream (scripted).
   */
  forward?(body: Record<string, unknown>, signal: AbortSignal): Promise<ForwardedChat>;
}

/** The upstream's 2xx answer to a forwarded request, unread: SSE chunks or one JSON completion. */
export interface ForwardedChat {
  contentType: string;
  body: Readable;
}

/** The `last_error.code` values a failed run can carry, as the hosted API used them. */
export type ProviderErrorCode = 'server_error' | 'rate_limit_exceeded' | 'invalid_prompt';

/**
 * A model call that failed for good (retries, if any, are already spent). The message is written for the
 * person reading the run's `last_error` (any key holder of the project): it names the model and, for setup
 * faults, what to set, but never an upstream URL or host; those are in `upstream`, for the operator's log.
 */
export class ProviderError extends Error {
  override readonly name = 'ProviderError';
  readonly code: ProviderErrorCode;
  /** HTTP status from the upstream, when there was one. */
  readonly status?: number;
  /** Where the call went (URL and upstream model), for the log only. */
  upstream?: string;

  constructor(code: ProviderErrorCode, message: string, options: { status?: number; cause?: unknown; upstream?: string } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    if (options.status !== undefined) this.status = options.status;
    if (options.upstream !== undefined) this.upstream = options.upstream;
  }
}

/** Maps an HTTP status to the run error code the hosted API would have reported for it. */
export function errorCodeForStatus(status: number): ProviderErrorCode {
  if (status === 429) return 'rate_limit_exceeded';
  if (status === 400 || status === 413 || status === 422) return 'invalid_prompt';
  return 'server_error';
}

/** The error a stream throws when its signal aborts: the caller's reason, else a standard AbortError. */
export function abortReason(signal: Abortable): unknown {
  return signal.reason ?? new DOMException('This operation was aborted', 'AbortError');
}
