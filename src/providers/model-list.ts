/**
 * What `GET /models` lists beyond the configured names: the models OpenAI-compatible upstreams say they serve
 * (`GET {baseURL}/models`). Asked with a short timeout and remembered briefly, so a model picker stays fast and
 * an unreachable upstream just contributes nothing.
 */
import { USER_AGENT } from './chat-stream-http.js';

/** One model as `GET /models` shows it (the OpenAI shape). */
export interface ModelEntry {
  id: string;
  object: 'model';
  created: number;
  owned_by: string;
}

/** An upstream to ask: its base URL and key, and who owns its models when it does not say. */
export interface ListedUpstream {
  baseURL: string;
  apiKey?: string;
  owner: string;
}

export interface UpstreamModelListerOptions {
  timeoutMs?: number;
  /** How long an answer (or a failure) is reused. */
  ttlMs?: number;
  /** Unix ms; tests move it. */
  clock?: () => number;
}

/** The models an upstream lists; never throws. */
export type UpstreamModelLister = (upstream: ListedUpstream) => Promise<ModelEntry[]>;

export function createUpstreamModelLister(options: UpstreamModelListerOptions = {}): UpstreamModelLister {
  const timeoutMs = options.timeoutMs ?? 2_000;
  const ttlMs = options.ttlMs ?? 30_000;
  const clock = options.clock ?? Date.now;
  // Concurrent callers share one request per upstream; the promise itself is cached.
  const cache = new Map<string, { at: number; entries: Promise<ModelEntry[]> }>();
  return (upstream) => {
    const key = `${upstream.baseURL}\n${upstream.apiKey ?? ''}`;
    const hit = cache.get(key);
    if (hit && clock() - hit.at < ttlMs) return hit.entries;
    const entries = fetchModels(upstream, timeoutMs);
    cache.set(key, { at: clock(), entries });
    return entries;
  };
}

/** Keeps the listing readable when an upstream answers with something huge. */
const MAX_LISTED = 1_000;

async function fetchModels(upstream: ListedUpstream, timeoutMs: number): Promise<ModelEntry[]> {
  try {
    const res = await fetch(`${upstream.baseURL.replace(/\/+$/, '')}/models`, {
      headers: { authorization: `Bearer ${upstream.apiKey || 'none'}`, 'user-agent': USER_AGENT },
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (!res.ok) {
      await res.body?.cancel();
      return [];
    }
    const body = (await res.json()) as { data?: unknown };
    if (!Array.isArray(body?.data)) return [];
    return body.data.slice(0, MAX_LISTED).flatMap((item: unknown): ModelEntry[] => {
      const { id, created, owned_by } = (item ?? {}) as { id?: unknown; created?: unknown; owned_by?: unknown };
      if (typeof id !== 'string' || id === '') return [];
      return [{ id, object: 'model', created: typeof created === 'number' ? created : 0, owned_by: typeof owned_by === 'string' && owned_by ? owned_by : upstream.owner }];
    });
  } catch {
    return [];
  }
}
