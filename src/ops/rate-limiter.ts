import type { ProjectLimits, RateLimitSettings } from '../config.js';
import { ApiError } from '../domain/errors.js';
import { ProviderError, type ChatModel } from '../providers/chat-model.js';
import type { ModelRegistry } from '../providers/registry.js';
import type { Store } from '../store/store.js';

const WINDOW_MS = 60_000;

/** What a request may start, beyond counting as one request. */
export interface RequestKind {
  /** It makes model calls (a run, a response, a chat completion): refused while a token quota is spent. */
  usesTokens: boolean;
}

/** The hosted `x-ratelimit-*` headers (requests, and tokens where a token limit applies). */
export type RateLimitHeaders = Record<string, string>;

export type Verdict =
  | { allowed: true; headers: RateLimitHeaders }
  | { allowed: false; headers: RateLimitHeaders; type: 'requests' | 'tokens'; message: string; retryAfterMs: number };

/** One counted scope: a key or a project, its limits, and how messages name it. */
interface Scope {
  id: string;
  limits: ProjectLimits;
  who: string;
}

/**
 * Per key and per project limits counted in one-minute windows in the database, so every replica sees the
 * same counts; each of requests per minute, tokens per minute and concurrent runs may be set for keys, for
 * projects or both, and whichever is reached first refuses. Requests are counted as they arrive, tokens as
 * model calls report their usage, concurrent runs in the transaction that creates the run.
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
  const scopes = (project: string, keyId: string | undefined): Scope[] => [
    ...(keyId !== undefined ? [{ id: `key:${keyId}`, limits: settings.key, who: 'this API key' }] : []),
    { id: `project:${project}`, limits: settings.project(project), who: `project ${project}` },
  ];
  const keyTracked = Boolean(settings.key.tokensPerMinute || settings.key.concurrentRuns);

  async function admit(project: string, keyId: string, kind: RequestKind): Promise<Verdict> {
    const { start, resetMs } = window();
    prune(start);
    const headers: RateLimitHeaders = {};
    let remaining = Infinity;
    let tokenRoom = Infinity;
    for (const { id, limits, who } of scopes(project, keyId)) {
      const { requestsPerMinute: rpm, tokensPerMinute: tpm } = limits;
      if (!rpm && !tpm) continue;
      const taken = rpm ? await store.rateLimits.takeRequest(id, start, rpm) : { allowed: true, ...(await store.rateLimits.usage(id, start)) };
      if (rpm && rpm - taken.requests < remaining) {
        remaining = rpm - taken.requests;
        Object.assign(headers, requestHeaders(rpm, remaining, resetMs));
      }
      if (!taken.allowed) {
        const message = `Rate limit reached for requests per min (RPM) on ${who}: Limit ${rpm}, Used ${taken.requests}, Requested 1. Please try again in ${duration(resetMs)}.`;
        return { allowed: false, headers, type: 'requests', message, retryAfterMs: resetMs };
      }
      if (!tpm) continue;
      if (tpm - taken.tokens < tokenRoom) {
        tokenRoom = tpm - taken.tokens;
        Object.assign(headers, tokenHeaders(tpm, taken.tokens, resetMs));
      }
      if (kind.usesTokens && taken.tokens >= tpm) {
        const message = `Rate limit reached for tokens per min (TPM) on ${who}: Limit ${tpm}, Used ${taken.tokens}. Please try again in ${duration(resetMs)}.`;
        return { allowed: false, headers, type: 'tokens', message, retryAfterMs: resetMs };
      }
    }
    return { allowed: true, headers };
  }

  /**
   * Inside the transaction that inserted run `runId`: records its key where per-key limits need it and refuses
   * (429, rolling the transaction back) when the run is one more than the key's or the project's
   * `concurrent_runs`. The scope's lock makes replicas creating runs at the same instant count one after the other.
   */
  async function admitRun(tx: Store, project: string, keyId: string, runId: string): Promise<void> {
    if (keyTracked) await tx.rateLimits.setRunKey(runId, keyId);
    for (const { id, limits, who } of scopes(project, keyId)) {
      const limit = limits.concurrentRuns;
      if (!limit) continue;
      await tx.rateLimits.lock(`runs:${id}`);
      const active = await tx.rateLimits.activeRuns(id.startsWith('key:') ? { keyId } : { project });
      if (active > limit) {
        throw new ApiError(429, `Rate limit reached for concurrent runs on ${who}: Limit ${limit}. Try again when a run has ended.`, 'requests', null, 'rate_limit_exceeded');
      }
    }
  }

  /**
   * Wraps a model: a call that finds a token quota (of the run's key or its project) spent fails with
   * `rate_limit_exceeded`; the usage it reports is counted against both.
   */
  function instrumentModel(model: ChatModel, project: string, runId: string | undefined): ChatModel {
    const forward = model.forward?.bind(model);
    return {
      info: model.info,
      ...(forward ? { forward } : {}),
      async *stream(req, signal) {
        const keyId = keyTracked && runId?.startsWith('run_') ? await store.rateLimits.runKey(runId) : undefined;
        const counted = scopes(project, keyId).filter((s) => s.limits.tokensPerMinute);
        const { start, resetMs } = window();
        for (const { id, limits, who } of counted) {
          const used = (await store.rateLimits.usage(id, start)).tokens;
          const limit = limits.tokensPerMinute!;
          if (used >= limit) {
            throw new ProviderError('rate_limit_exceeded', `Rate limit reached for tokens per min (TPM) on ${who}: Limit ${limit}, Used ${used}. Please try again in ${duration(resetMs)}.`);
          }
        }
        let tokens = 0;
        try {
          for await (const event of model.stream(req, signal)) {
            if (event.type === 'usage') tokens = event.total_tokens;
            yield event;
          }
        } finally {
          if (tokens > 0) for (const { id } of counted) await store.rateLimits.addTokens(id, window().start, tokens);
        }
      },
    };
  }

  return {
    admit,
    admitRun,
    /** `resolve`'s third argument, the run a call is made for, lets its tokens count against the key that created it. */
    instrumentModels(registry: ModelRegistry): ModelRegistry {
      return {
        ...registry,
        resolve(name, project, runId) {
          const model = registry.resolve(name, project);
          if (project === undefined) return model;
          const limited = settings.project(project).tokensPerMinute || (settings.key.tokensPerMinute && runId);
          return limited ? instrumentModel(model, project, runId) : model;
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
