import type { EmbeddingModel } from '../providers/embedding-model.js';
import type { SearchQuery } from './search-index.js';

/** The query's vectors and the model that made them, or why there are none: search then runs lexically instead of failing. */
export type QueryEmbeddings = { query: Pick<SearchQuery, 'queryEmbeddings' | 'embeddingModel'>; error?: unknown };

/**
 * Query vectors a process has asked for, by model key and text, each kept while in flight and for a while after:
 * a run that searches a query again, or sends several file_search calls at once with overlapping queries, has
 * each distinct query embedded once. Failures are not kept.
 */
export interface QueryVectorCache {
  get(key: string): Promise<number[]> | undefined;
  set(key: string, vector: Promise<number[]>): void;
  delete(key: string): void;
}

// Enough for the queries of every run in flight; a run's calls come within minutes of each other.
const CACHED_QUERIES = 2000;
const CACHE_TTL_MS = 10 * 60_000;

export function createQueryVectorCache(limit = CACHED_QUERIES, ttlMs = CACHE_TTL_MS, clock: () => number = Date.now): QueryVectorCache {
  const entries = new Map<string, { vector: Promise<number[]>; until: number }>();
  return {
    get(key) {
      const entry = entries.get(key);
      if (!entry) return undefined;
      entries.delete(key);
      if (entry.until <= clock()) return undefined;
      entries.set(key, entry); // most recently used last
      return entry.vector;
    },
    set(key, vector) {
      entries.delete(key);
      if (entries.size >= limit) entries.delete(entries.keys().next().value!);
      entries.set(key, { vector, until: clock() + ttlMs });
    },
    delete: (key) => entries.delete(key),
  };
}

/** Settles with `promise`, or rejects with the signal's reason as soon as it aborts. */
function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/**
 * The queries' vectors, the ones not in `cache` embedded in one request. A shared request is not cancelled by
 * one caller's signal (another caller may be waiting for it); the caller stops waiting instead.
 */
function cachedVectors(model: EmbeddingModel, queries: string[], cache: QueryVectorCache, signal?: AbortSignal): Promise<number[][]> {
  const key = (query: string) => `${model.key}\u0000${query}`;
  const missing = [...new Set(queries.filter((q) => cache.get(key(q)) === undefined))];
  if (missing.length > 0) {
    const batch = model.embed(missing);
    missing.forEach((query, i) => {
      const vector = batch.then((vectors) => vectors[i]!);
      cache.set(key(query), vector);
      vector.catch(() => cache.delete(key(query)));
    });
  }
  return abortable(Promise.all(queries.map((q) => cache.get(key(q))!)), signal);
}

/** Embeds search queries with the server's embedding model, when one is configured (through `cache` when given). */
export async function embedQueries(model: EmbeddingModel | undefined, queries: string[], signal?: AbortSignal, cache?: QueryVectorCache): Promise<QueryEmbeddings> {
  if (!model || queries.length === 0) return { query: {} };
  try {
    const vectors = cache ? await cachedVectors(model, queries, cache, signal) : await model.embed(queries, signal);
    return { query: { queryEmbeddings: vectors.map((v) => Float32Array.from(v)), embeddingModel: model.key } };
  } catch (error) {
    if (signal?.aborted) throw error;
    return { query: {}, error };
  }
}
