import type { ProjectLimits, RateLimitSettings } from '../config.js';
import { ApiError } from '../domain/errors.js';
import { ProviderError, type ChatModel } from '../providers/chat-model.js';
import type { ModelCaller, ModelRegistry } from '../providers/registry.js';
import type { Store } from '../store/store.js';
import { anyKeyLimits, createKeyLimits } from './key-limits.js';

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
 * same counts; each of requests per minute, tokens per minute and concurrent runs may be set for keys (all of
 * them, and some by id or name), for projects or both, and whichever is reached first refuses. Requests are
 * counted as they arrive, tokens as model calls report their usage, concurrent runs in the transaction that
 * creates the run.
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
  const keyLimits = createKeyLimits(settings);
  /** The key's scope (when the key is known) with its own limits, then the project's. */
  const scopes = (project: string, keyId: string | undefined, limits: ProjectLimits): Scope[] => [
    ...(keyId !== undefined ? [{ id: `key:${keyId}`, limits, who: 'this API key' }] : []),
    { id: `project:${project}`, limits: settings.project(project), who: `project ${project}` },
  ];
  const keyTracked = anyKeyLimits(settings, 'tokensPerMinute') || anyKeyLimits(settings, 'concurrentRuns');
  const keyTokens = anyKeyLimits(settings, 'tokensPerMinute');

  async function admit(project: string, keyId: string, kind: RequestKind): Promise<Verdict> {
    const { start, resetMs } = window();
    prune(start);
    const ownLimits = keyLimits(keyId, store.rateLimits);
    const limited = scopes(project, keyId, ownLimits instanceof Promise ? await ownLimits : ownLimits).filter((s) => s.limits.requestsPerMinute || s.limits.tokensPerMinute);
    if (limited.length === 0) return { allowed: true, headers: {} };
    const counted = limited.filter((s) => s.limits.requestsPerMinute).map((s) => ({ scope: s.id, limit: s.limits.requestsPerMinute! }));
    const taken = counted.length ? await store.rateLimits.takeRequest(counted, start) : new Map();
    const read = limited.filter((s) => !taken.has(s.id)).map((s) => s.id);
    const used = read.length ? await store.rateLimits.usage(read, start) : new Map();
    const headers: RateLimitHeaders = {};
    let refusal: Verdict | undefined;
    let [requestRoom, tokenRoom] = [Infinity, Infinity];
    for (const { id, limits, who } of limited) {
      const { requestsPerMinute: rpm, tokensPerMinute: tpm } = limits;
      const now = taken.get(id) ?? { allowed: true, ...used.get(id)! };
      if (rpm && rpm - now.requests < requestRoom) {
        requestRoom = rpm - now.requests;
        Object.assign(headers, requestHeaders(rpm, requestRoom, resetMs));
      }
      if (tpm && tpm - now.tokens < tokenRoom) {
        tokenRoom = tpm - now.tokens;
        Object.assign(headers, tokenHeaders(tpm, now.tokens, resetMs));
      }
      if (refusal) continue;
      if (!now.allowed) {
        const message = `Rate limit reached for requests per min (RPM) on ${who}: Limit ${rpm}, Used ${now.requests}, Requested 1. Please try again in ${duration(resetMs)}.`;
        refusal = { allowed: false, headers, type: 'requests', message, retryAfterMs: resetMs };
      } else if (tpm && kind.usesTokens && now.tokens >= tpm) {
        const message = `Rate limit reached for tokens per min (TPM) on ${who}: Limit ${tpm}, Used ${now.tokens}. Please try again in ${duration(resetMs)}.`;
        refusal = { allowed: false, headers, type: 'tokens', message, retryAfterMs: resetMs };
      }
    }
    return refusal ?? { allowed: true, headers };
  }

  /**
   * Inside the transaction that inserted run `runId`: records its key where per-key limits need it and refuses
   * (429, rolling the transaction back) when the run is one more than the key's or the project's
   * `concurrent_runs`. The scopes' locks make replicas creating runs at the same instant count one after the other.
   */
  async function admitRun(tx: Store, project: string, keyId: string, runId: string): Promise<void> {
    if (keyTracked) await tx.rateLimits.setRunKey(runId, keyId);
    const limited = scopes(project, keyId, await keyLimits(keyId, tx.rateLimits)).filter((s) => s.limits.concurrentRuns);
    if (limited.length === 0) return;
    const check = async () => {
      const active = await tx.rateLimits.activeRuns(project, keyId);
      const full = limited.find((s) => (s.id.startsWith('key:') ? active.key : active.project) > s.limits.concurrentRuns!);
      if (full) throw new ApiError(429, `Rate limit reached for concurrent runs on ${full.who}: Limit ${full.limits.concurrentRuns}. Try again when a run has ended.`, 'requests', null, 'rate_limit_exceeded');
    };
    // Where the lock makes others wait (row locks), a create already over the limit is refused without queuing.
    if (tx.capabilities.skipLocked) await check();
    await tx.rateLimits.lock(limited.map((s) => `runs:${s.id}`));
    await check();
  }

  /** The caller's key (a run's as stored), if it counts, and what the window's scopes with a token limit used. */
  async function tokenScopes(project: string, caller: ModelCaller | undefined, windowStart: number) {
    const projectScope = `project:${project}`;
    const counted = async (keyId: string | undefined) => ({ keyId, usage: await store.rateLimits.usage(keyId === undefined ? [projectScope] : [`key:${keyId}`, projectScope], windowStart) });
    const { keyId, usage } = !keyTracked || !caller
      ? await counted(undefined)
      : 'keyId' in caller
        ? await counted(caller.keyId)
        : await store.rateLimits.runUsage(caller.runId, projectScope, windowStart);
    const limits = keyId === undefined ? settings.key : await keyLimits(keyId, store.rateLimits);
    return scopes(project, keyId, limits).filter((s) => s.limits.tokensPerMinute).map((s) => ({ ...s, used: usage.get(s.id)!.tokens }));
  }

  /**
   * Wraps a model: a call that finds a token quota (of the caller's key or its project) spent fails with
   * `rate_limit_exceeded`; the usage it reports is counted against both.
   */
  function instrumentModel(model: ChatModel, project: string, caller: ModelCaller | undefined): ChatModel {
    const forward = model.forward?.bind(model);
    return {
      info: model.info,
      ...(forward ? { forward } : {}),
      async *stream(req, signal) {
        const { start, resetMs } = window();
        const counted = await tokenScopes(project, caller, start);
        for (const { limits, who, used } of counted) {
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
          if (tokens > 0) await store.rateLimits.addTokens(counted.map((s) => s.id), window().start, tokens);
        }
      },
    };
  }

  return {
    admit,
    admitRun,
    /** Whether model calls count against the caller's key: only then is a response's key passed along (and kept with a background one). */
    countsKeyTokens: keyTokens,
    /** `resolve`'s third argument, the run or response key a call is made for, lets its tokens count against that key. */
    instrumentModels(registry: ModelRegistry): ModelRegistry {
      return {
        ...registry,
        resolve(name, project, caller) {
          const model = registry.resolve(name, project);
          if (project === undefined) return model;
          const limited = settings.project(project).tokensPerMinute || (keyTokens && caller);
          return limited ? instrumentModel(model, project, caller) : model;
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
