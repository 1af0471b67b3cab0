// Adds vectors to chunks that have none (indexed while the embedding model was down) or that have another
// model's (the configured model changed), store by store, so every store ends up searchable by vector with the
// current model. A store whose vectors all come from the current model is marked and never scanned again.
import type { Logger } from 'pino';
import type { BackgroundGate } from '../lib/background-gate.js';
import type { Store } from '../store/store.js';
import type { ChunkEmbedder } from './chunk-embedder.js';

export interface BackfillResult {
  /** Chunks given vectors. */
  chunks: number;
  /** Stores whose vectors now all come from the current model. */
  stores: number;
  /** Why the pass stopped early: the model failed. */
  error?: unknown;
}

export interface EmbeddingBackfill {
  /** Runs a pass soon (coalesced with one already running). */
  kick(): void;
  /** Runs a pass after the retry wait, unless one is already planned. */
  later(): void;
  /** One pass over every stale store; resolves when done or when the model fails. */
  run(): Promise<BackfillResult>;
  close(): Promise<void>;
}

export interface EmbeddingBackfillOptions {
  store: Store;
  embedder: ChunkEmbedder;
  logger?: Logger;
  /** Wait before retrying while the model is down. */
  retryMs: number;
  /** Chunks per embedding call. Default 256. */
  batch?: number;
  /** Each read, embedding call and write waits here while requests or runs compete for the event loop (lib/background-gate.ts). */
  gate?: BackgroundGate;
}

const STORES_PER_QUERY = 100;

/** The model failed (as opposed to the database): the model is down until it answers again. */
class ModelFailure extends Error {
  constructor(override readonly cause: unknown) {
    super('the embedding model failed');
  }
}

export function createEmbeddingBackfill(opts: EmbeddingBackfillOptions): EmbeddingBackfill {
  const { store, embedder, logger } = opts;
  const key = embedder.model.key;
  const batch = opts.batch ?? 256;
  const abort = new AbortController();
  let running: Promise<BackfillResult> | undefined;
  let again = false;
  let retry: NodeJS.Timeout | undefined;

  /** Embeds the store's stale chunks; true when the store is then marked as wholly embedded by the model. */
  async function embedStore(project: string, vectorStoreId: string, counter: { chunks: number }): Promise<boolean> {
    let after = 0;
    for (;;) {
      await opts.gate?.pass();
      const stale = await store.chunks.staleChunks(project, vectorStoreId, key, after, batch);
      if (stale.length === 0) break;
      const vectors = await embedder.model.embed(stale.map((c) => c.text), abort.signal).catch((err: unknown) => {
        throw new ModelFailure(err);
      });
      embedder.markUp();
      await opts.gate?.pass();
      const rows = stale.map((c, i) => ({ seq: c.seq, embedding: Float32Array.from(vectors[i]!) }));
      await store.chunks.setEmbeddings(project, vectorStoreId, key, rows);
      counter.chunks += stale.length;
      after = stale.at(-1)!.seq;
    }
    // Chunks committed meanwhile behind the cursor show up here; chunks written after the version was read move
    // it on, and the store stays stale for the next pass.
    const version = (await store.chunks.versions(project, [vectorStoreId])).get(vectorStoreId)?.version;
    if (version === undefined) return false;
    if ((await store.chunks.staleChunks(project, vectorStoreId, key, 0, 1)).length > 0) return false;
    return store.chunks.markEmbedded(project, vectorStoreId, key, version);
  }

  async function pass(): Promise<BackfillResult> {
    const counter = { chunks: 0 };
    let stores = 0;
    const seen = new Set<string>();
    try {
      for (;;) {
        const todo = (await store.chunks.staleStores(key, STORES_PER_QUERY + seen.size)).filter((s) => !seen.has(`${s.project}/${s.vectorStoreId}`));
        if (todo.length === 0 || abort.signal.aborted) break;
        for (const s of todo) {
          seen.add(`${s.project}/${s.vectorStoreId}`);
          if (await embedStore(s.project, s.vectorStoreId, counter)) stores++;
        }
      }
    } catch (err) {
      if (abort.signal.aborted) return { ...counter, stores };
      if (!(err instanceof ModelFailure)) throw err;
      embedder.markDown(err.cause);
      return { ...counter, stores, error: err.cause };
    }
    if (counter.chunks > 0) logger?.info({ model: key, chunks: counter.chunks, stores }, 'added vectors to chunks indexed without them');
    return { ...counter, stores };
  }

  function schedule(ms: number): void {
    if (retry || abort.signal.aborted) return;
    retry = setTimeout(() => {
      retry = undefined;
      backfill.kick();
    }, ms);
    retry.unref();
  }

  const backfill: EmbeddingBackfill = {
    kick() {
      if (abort.signal.aborted) return;
      if (running) {
        again = true;
        return;
      }
      void backfill.run();
    },
    later: () => schedule(opts.retryMs),
    run() {
      running ??= (async () => {
        let result: BackfillResult;
        do {
          again = false;
          result = await pass();
        } while (again && !result.error && !abort.signal.aborted);
        return result;
      })()
        .catch((err: unknown): BackfillResult => {
          logger?.warn({ err }, 'adding vectors to chunks failed');
          return { chunks: 0, stores: 0, error: err };
        })
        .then((result) => {
          running = undefined;
          if (result.error && !abort.signal.aborted) schedule(opts.retryMs);
          return result;
        });
      return running;
    },
    async close() {
      abort.abort();
      clearTimeout(retry);
      await running;
    },
  };
  return backfill;
}
