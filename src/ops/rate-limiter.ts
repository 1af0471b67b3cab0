import type { RateLimitSettings } from '../config.js';
import { ProviderError, type ChatModel } from '../providers/chat-model.js';
import type { ModelRegistry } from '../providers/registry.js';
import type { Store } from '../store/store.js';

const WINDOW_MS = 60_000;

/** What a request may start, beyond counting as one request. */
export interface RequestKind {
  /** It makes model calls (a run, a response, a chat completion): refused while the token quota is spent. */
  usesTokens: boolean;
  /** It creates a run: refused at the project's concurrent-run limit. */
  createsRun: boolean;
}

/** The hosted `x-ratelimit-*` headers (requests, and tokens where a token limit applies). */
export type RateLimitHeaders = Record<string, string>;

export type Verdict =
  | { allowed: true; headers: RateLimitHeaders }
  | { allowed: false; headers: RateLimitHeaders; type: 'requests' | 'tokens'; message: string; retryAfterMs: number };

/**
 * Per key and per project limits counted in one-minute windows in the database, so every replica sees the
 * same counts. Requests are counted as they arrive; tokens as model calls report their usage.
 */
export function createRateLimiter(store: Store, settings: RateLimitSettings, clock: () => number = Date.now) {
  let prunedWindow = 0;
  const window = () => {
    const now = clock();
    const start = Math.floor(now / WINDOW_MS) * WINDOW_MS;
    return { start, resetMs: start + WINDOW_MS - now };
  };
  /** Old windows are dropped by whichever replica first notices a new minute. */
  const prune = (start: number) => {
    if (start === prunedWindow) return;
    prunedWindow = start;
    void store.rateLimits.prune(start - WINDOW_MS).catch(() => undefined);
  };

  async function admit(project: string, keyId: string, kind: RequestKind): Promise<Verdict> {
    const { start, resetMs } = window();
    prune(start);
    const limits = settings.project(project);
    const headers: RateLimitHeaders = {};
    const scopes: Array<[string, number, string]> = [];
    if (settings.keyRequestsPerMinute) scopes.push([`key:${keyId}`, settings.keyRequestsPerMinute, 'this API key']);
    if (limits.requestsPerMinute) scopes.push([`project:${project}`, limits.requestsPerMinute, `project ${project}`]);
    let remaining = Infinity;
    let projectTokens: number | undefined;
    for (const [scope, limit, who] of scopes) {
      const taken = await store.rateLimits.takeRequest(scope, start, limit);
      if (scope.startsWith('project:')) projectTokens = taken.tokens;
      if (limit - taken.requests < remaining) {
        remaining = limit - taken.requests;
        Object.assign(headers, requestHeaders(limit, remaining, resetMs));
      }
      if (!taken.allowed) {
        const message = `Rate limit reached for requests per min (RPM) on ${who}: Limit ${limit}, Used ${taken.requests}, Requested 1. Please try again in ${duration(resetMs)}.`;
        return { allowed: false, headers, type: 'requests', message, retryAfterMs: resetMs };
      }
    }
    if (limits.tokensPerMinute) {
      const used = projectTokens ?? (await store.rateLimits.usage(`project:${project}`, start)).tokens;
      Object.assign(headers, tokenHeaders(limits.tokensPerMinute, used, resetMs));
      if (kind.usesTokens && used >= limits.tokensPerMinute) {
        const message = `Rate limit reached for tokens per min (TPM) on project ${project}: Limit ${limits.tokensPerMinute}, Used ${used}. Please try again in ${duration(resetMs)}.`;
        return { allowed: false, headers, type: 'tokens', message, retryAfterMs: resetMs };
      }
    }
    if (kind.createsRun && limits.concurrentRuns && (await store.rateLimits.activeRuns(project)) >= limits.concurrentRuns) {
      const message = `Rate limit reached for concurrent runs on project ${project}: Limit ${limits.concurrentRuns}. Try again when a run has ended.`;
      return { allowed: false, headers, type: 'requests', message, retryAfterMs: 1000 };
    }
    return { allowed: true, headers };
  }

  /** Wraps each model: a call finds the project's token quota spent → `rate_limit_exceeded`; its usage is counted. */
  function instrumentModel(model: ChatModel, project: string, tokensPerMinute: number): ChatModel {
    const forward = model.forward?.bind(model);
    return {
      info: model.info,
      ...(forward ? { forward } : {}),
      async *stream(req, signal) {
        const { start, resetMs } = window();
        const used = (await store.rateLimits.usage(`project:${project}`, start)).tokens;
        if (used >= tokensPerMinute) {
          throw new ProviderError('rate_limit_exceeded', `Rate limit reached for tokens per min (TPM) on project ${project}: Limit ${tokensPerMinute}, Used ${used}. Please try again in ${duration(resetMs)}.`);
        }
        let tokens = 0;
        try {
          for await (const event of model.stream(req, signal)) {
            if (event.type === 'usage') tokens = event.total_tokens;
            yield event;
          }
        } finally {
          if (tokens > 0) await store.rateLimits.addTokens(`project:${project}`, window().start, tokens);
        }
      },
    };
  }

  return {
    admit,
    instrumentModels(registry: ModelRegistry): ModelRegistry {
      return {
        ...registry,
        resolve(name, project) {
          const model = registry.resolve(name, project);
          const tpm = project === undefined ? undefined : settings.project(project).tokensPerMinute;
          return tpm && project !== undefined ? instrumentModel(model, project, tpm) : model;
        },
      };
    },
  };
}

export type RateLimiter = ReturnType<typeof createRateLimiter>;

function requestHeaders(limit: number, remaining: number, resetMs: number): RateLimitHeaders {
  return { 'x-ratelimit-limit-requests': String(limit), 'x-ratelimit-remaining-requests': String(Math.max(0, remaining)), 'x-ratelimit-reset-requests': duration(resetMs) };
}

function tokenHeaders(limit: number, used: number, resetMs: number): RateLimitHeaders {
  return { 'x-ratelimit-limit-tokens': String(limit), 'x-ratelimit-remaining-tokens': String(Math.max(0, limit - used)), 'x-ratelimit-reset-tokens': duration(resetMs) };
}

/** As the hosted headers write durations: `850ms`, `12s`, `1m0s`. */
export function duration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`;
  const seconds = Math.ceil(ms / 1000);
  return seconds < 60 ? `${seconds}s` : `${Math.floor(seconds / 60)}m${seconds % 60}s`;
}
