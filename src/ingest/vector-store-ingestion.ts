// The vector store ingestion pipeline. The files table is the queue: adding a file inserts it `in_progress`;
// the pipeline claims such files with a lease (renewed while it works), so a file is processed by one process at
// a time, a crashed process's files are picked up once their lease lapses, and files released at shutdown are
// picked up at the next start. Work happens in the background with bounded concurrency, parsing on worker threads.
import type { Logger } from 'pino';
import type { BlobStore } from '../blobs/blob-store.js';
import type { VectorStoreAttributes, VectorStoreFile } from '../domain/types.js';
import { buildVectorStoreFile, touchVectorStore, type RequestedChunking } from '../domain/vector-stores.js';
import { createBackgroundGate } from '../lib/background-gate.js';
import { parked } from '../lib/foreground-work.js';
import type { EmbeddingModel } from '../providers/embedding-model.js';
import type { SearchIndex } from '../search/search-index.js';
import type { Store } from '../store/store.js';
import type { ClaimedVectorStoreFile } from '../store/vector-store-files-repo.js';
import { createChunkEmbedder } from './chunk-embedder.js';
import { createEmbeddingBackfill } from './embedding-backfill.js';
import { createIngestor, type Ingestor } from './ingest.js';
import { ingestVectorStoreFile, type FileJobResult } from './ingest-vector-store-file.js';
import { sweepExpiredVectorStores } from './vector-store-expiry.js';
import { createWaiters } from './waiters.js';

/** A file to add to a vector store, validated. */
export interface FileToAdd {
  fileId: string;
  chunking: RequestedChunking;
  attributes: VectorStoreAttributes;
}

/** Everything that changes which files a vector store holds goes through here, so the index and queue agree. */
export interface VectorStoreIngestion {
  /** Adds files (or restarts the ingestion of ones already there) and queues them. Returns them as stored. */
  addFiles(project: string, vectorStoreId: string, files: FileToAdd[], batchId?: string | null): Promise<VectorStoreFile[]>;
  setAttributes(project: string, vectorStoreId: string, fileId: string, attributes: VectorStoreAttributes): Promise<boolean>;
  /** Removes a file from the store (the file itself stays); false when it was not in the store. */
  removeFile(project: string, vectorStoreId: string, fileId: string): Promise<boolean>;
  /** Deletes the store, its files' membership, its batches and its chunks; false when it did not exist. */
  removeStore(project: string, vectorStoreId: string): Promise<boolean>;
  /** Stops the batch's files still in progress. */
  cancelBatch(project: string, batchId: string): Promise<void>;
  /** Resolves when a file this process was processing settles, or after `timeoutMs`: a cue to look at statuses again. */
  settled(timeoutMs: number): Promise<void>;
  /** Resolves true once none of the stores has a file in progress, false when `timeoutMs` passes first. */
  waitForVectorStores(project: string, vectorStoreIds: string[], timeoutMs: number): Promise<boolean>;
  /** Records use of the stores (a search, a run): `last_active_at` moves and with it `expires_at`. */
  touch(project: string, vectorStoreIds: string[]): Promise<void>;
  /** Marks stores past `expires_at` as expired and frees their chunks; returns how many. */
  sweepExpired(): Promise<number>;
  /** Unix seconds on the pipeline's clock, which views of its stores must share. */
  now(): number;
  /** Files being processed by this process right now. */
  active(): number;
  /** Files this process finished processing, by result (completed, failed, discarded, released). */
  processed(): Readonly<Record<FileJobResult, number>>;
  /** The model for query vectors; none while it is known to be down (search is lexical then, without waiting out retries). */
  searchEmbeddings(): EmbeddingModel | undefined;
  /** Stops claiming, hands files in flight back to the queue and waits for them to settle. */
  close(): Promise<void>;
}

export interface VectorStoreIngestionOptions {
  store: Store;
  blobs: BlobStore;
  index: SearchIndex;
  /** Parsers on worker threads; created (and closed with the pipeline) when not given. */
  ingestor?: Ingestor;
  /** Undefined means lexical search only. */
  embeddings?: EmbeddingModel;
  /** While the embedding model is down, how often vectors are retried. Default 30 s. */
  embeddingRetryMs?: number;
  logger?: Logger;
  /** Files processed at once; a few more than parser threads, so embedding and writes overlap parsing. Default 8. */
  concurrency?: number;
  /**
   * While requests or runs are in flight and the event loop is busy, ingestion takes at most one main-thread
   * step per this many milliseconds (see lib/background-gate.ts); 0 never holds it back. Default 10.
   */
  yieldMs?: number;
  /** How long a claim holds a file without renewal. Default 60 s. */
  leaseMs?: number;
  /** How often to look for work another process queued or abandoned. Default 2 s. */
  pollMs?: number;
  /** How often expired stores are swept. Default 60 s. */
  sweepMs?: number;
  /** Milliseconds since the epoch; injectable so tests can move time. */
  clock?: () => number;
}

export function createVectorStoreIngestion(opts: VectorStoreIngestionOptions): VectorStoreIngestion {
  const { store, index, logger } = opts;
  const clock = opts.clock ?? Date.now;
  const now = () => Math.floor(clock() / 1000);
  const concurrency = opts.concurrency ?? 8;
  const leaseMs = opts.leaseMs ?? 60_000;
  const ownIngestor = !opts.ingestor;
  const ingestor = opts.ingestor ?? createIngestor();
  const retryMs = opts.embeddingRetryMs ?? 30_000;
  // Chunks indexed without vectors get them from the backfill: at start (left from before), and while the model is down.
  const embedder = opts.embeddings ? createChunkEmbedder({ model: opts.embeddings, retryMs, logger, onMissing: () => backfill?.later() }) : undefined;
  const gate = createBackgroundGate({ intervalMs: opts.yieldMs ?? 10 });
  const backfill = embedder ? createEmbeddingBackfill({ store, embedder, retryMs, logger, gate }) : undefined;
  const jobDeps = { store, blobs: opts.blobs, index, ingestor, gate, ...(embedder ? { embedder } : {}), logger };
  const inFlight = new Map<string, { claim: ClaimedVectorStoreFile; done: Promise<void> }>();
  const abort = new AbortController();
  const waiters = createWaiters();
  const processed: Record<FileJobResult, number> = { completed: 0, failed: 0, discarded: 0, released: 0 };
  let pumping = false;
  let again = false;

  if (!opts.embeddings) logger?.info('no embedding model is configured: file_search indexes and searches lexically only');

  let pumpDone: Promise<void> = Promise.resolve();

  function pump(): Promise<void> {
    if (pumping) {
      again = true;
      return pumpDone;
    }
    pumping = true;
    pumpDone = (async () => {
      try {
        do {
          again = false;
          while (!abort.signal.aborted && inFlight.size < concurrency) {
            await gate.pass();
            const at = clock();
            const claims = await store.vectorStoreFiles.claim(at, at + leaseMs, concurrency - inFlight.size);
            if (claims.length === 0) break;
            for (const claim of claims) start(claim);
          }
        } while (again && !abort.signal.aborted);
      } catch (err) {
        logger?.error({ err }, 'claiming vector store files failed');
      } finally {
        pumping = false;
      }
    })();
    return pumpDone;
  }

  function start(claim: ClaimedVectorStoreFile): void {
    const key = `${claim.vectorStoreId}/${claim.fileId}/${claim.job}`;
    const done = ingestVectorStoreFile(jobDeps, claim, abort.signal)
      .then((result) => {
        processed[result]++;
        logger?.debug({ vectorStoreId: claim.vectorStoreId, fileId: claim.fileId, result }, 'vector store file processed');
      })
      .catch((err: unknown) => logger?.error({ err, fileId: claim.fileId }, 'vector store file job crashed'))
      .finally(() => {
        inFlight.delete(key);
        waiters.signal();
        void pump();
      });
    inFlight.set(key, { claim, done });
  }

  const renewTimer = setInterval(() => {
    const claims = [...inFlight.values()].map((f) => f.claim);
    if (claims.length) store.vectorStoreFiles.renew(claims, clock() + leaseMs).catch((err) => logger?.warn({ err }, 'renewing file leases failed'));
  }, Math.max(50, Math.floor(leaseMs / 3)));
  const pollTimer = setInterval(() => void pump(), opts.pollMs ?? 2_000);
  const sweepTimer = setInterval(() => {
    sweepExpiredVectorStores(store, index, now()).catch((err) => logger?.warn({ err }, 'sweeping expired vector stores failed'));
  }, opts.sweepMs ?? 60_000);
  for (const t of [renewTimer, pollTimer, sweepTimer]) t.unref();
  // Files left in progress by an earlier run of the server (released, or with lapsed leases) start now.
  void pump();
  backfill?.kick();

  return {
    async addFiles(project, vectorStoreId, files, batchId = null) {
      const at = now();
      const rows = files.map((f) => ({
        file: buildVectorStoreFile(vectorStoreId, f.fileId, f.chunking, f.attributes, at),
        batchId,
        job: `${clock().toString(36)}-${Math.random().toString(36).slice(2)}`,
      }));
      await store.transaction((tx) => tx.vectorStoreFiles.upsert(project, rows));
      void pump();
      return rows.map((r) => r.file);
    },
    async setAttributes(project, vectorStoreId, fileId, attributes) {
      if (!(await store.vectorStoreFiles.setAttributes(project, vectorStoreId, fileId, attributes))) return false;
      await index.setAttributes(project, vectorStoreId, fileId, attributes);
      return true;
    },
    async removeFile(project, vectorStoreId, fileId) {
      if (!(await store.vectorStoreFiles.delete(project, vectorStoreId, fileId))) return false;
      await index.removeFile(project, vectorStoreId, fileId);
      return true;
    },
    async removeStore(project, vectorStoreId) {
      const existed = await store.transaction(async (tx) => {
        await tx.vectorStoreFiles.deleteStore(project, vectorStoreId);
        await tx.vectorStoreFileBatches.deleteWhere(project, { vector_store_id: vectorStoreId });
        return tx.vectorStores.delete(project, vectorStoreId);
      });
      if (existed) await index.removeStore(project, vectorStoreId);
      return existed;
    },
    async cancelBatch(project, batchId) {
      // A re-added file may still have chunks from before; a job mid-write drops its own when it finds it cancelled.
      for (const f of await store.vectorStoreFiles.cancelBatch(project, batchId)) await index.removeFile(project, f.vectorStoreId, f.fileId);
      waiters.signal();
    },
    settled: (timeoutMs) => waiters.wait(timeoutMs),
    async waitForVectorStores(project, vectorStoreIds, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const usage = await store.vectorStoreFiles.usage(project, vectorStoreIds);
        if ([...usage.values()].every((u) => u.in_progress === 0)) return true;
        const left = deadline - Date.now();
        if (left <= 0) return false;
        // Local completions wake the wait at once; the timeout catches work done by other processes. A run waiting
        // here is parked (not foreground work), or it would hold back the ingestion it waits for.
        await parked(waiters.wait(Math.min(left, 500)));
      }
    },
    async touch(project, vectorStoreIds) {
      const at = now();
      for (const id of vectorStoreIds) {
        const vs = await store.vectorStores.get(project, id);
        if (vs && vs.last_active_at !== at) await store.vectorStores.replace(project, touchVectorStore(vs, at));
      }
    },
    sweepExpired: () => sweepExpiredVectorStores(store, index, now()),
    now,
    active: () => inFlight.size,
    processed: () => processed,
    searchEmbeddings: () => (embedder && !embedder.isDown() ? embedder.model : undefined),
    async close() {
      if (abort.signal.aborted) return;
      abort.abort();
      for (const t of [renewTimer, pollTimer, sweepTimer]) clearInterval(t);
      // Jobs waiting at the gate go on to see the abort and hand their files back.
      gate.close();
      await backfill?.close();
      // A claim already on its way still starts its files; they see the abort and release them.
      await pumpDone;
      // The ingestor answers queued and running files with an error at once; jobs see the abort and release them.
      if (ownIngestor) await ingestor.close();
      while (inFlight.size > 0) await Promise.all([...inFlight.values()].map((f) => f.done));
      waiters.signal();
    },
  };
}
