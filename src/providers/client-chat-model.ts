/**
 * A `ChatModel` over an upstream chat-completions endpoint (OpenAI-compatible or Azure): its model info, timeouts,
 * retry policy and limits. Both real adapters are thin factories around this; each streamed call is a `ChatCall`
 * (chat-call.ts), and the HTTP call itself is chat-stream-http.ts.
 */
import type { ClientOptions } from 'openai';
import type { ChatModel, ChatModelInfo } from './chat-model.js';
import type { ChatEndpoint } from './chat-stream-http.js';
import type { ReplyLimits } from './reply-reader.js';
import { forwardChat } from './chat-passthrough.js';
import { DEFAULT_CONTEXT_WINDOW, lookupModel } from './model-catalog.js';
import { withPromptedTools } from './prompted-tools.js';
import type { RetryPolicy } from './retry.js';
import type { UpstreamTarget } from './upstream-error.js';
import { ChatCall } from './chat-call.js';

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
