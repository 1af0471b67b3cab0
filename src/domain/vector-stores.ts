// Builders and views of vector store objects. Counts, usage and status are derived from the files' ingestion
// state when an object is shown, so they are never stored totals that could drift from the truth.
import { ID_PREFIX, newId } from './ids.js';
import type {
  ExpiresAfter,
  FileCounts,
  Metadata,
  StoredChunkingStrategy,
  VectorStore,
  VectorStoreAttributes,
  VectorStoreFile,
  VectorStoreFileBatch,
} from './types.js';

const DAY = 86_400;

/** A chunking strategy as requested (already validated); `auto` is stored as the window it stands for. */
export type RequestedChunking =
  | { type: 'auto' }
  | { type: 'static'; static: { max_chunk_size_tokens: number; chunk_overlap_tokens: number } };

/** What the ingestion needs back from a stored file's strategy. */
export function chunkingOf(stored: StoredChunkingStrategy): RequestedChunking {
  return stored.type === 'static' ? stored : { type: 'auto' };
}

export function storedChunking(requested: RequestedChunking): StoredChunkingStrategy {
  if (requested.type === 'static') return requested;
  return { type: 'static', static: { max_chunk_size_tokens: 800, chunk_overlap_tokens: 400 } };
}

export interface NewVectorStore {
  name?: string | null;
  metadata?: Metadata;
  expires_after?: ExpiresAfter | null;
}

/** `expires_at` follows the anchor: `days` after the store was last active. */
export function expiresAt(expiresAfter: ExpiresAfter | undefined, lastActiveAt: number | null): number | null {
  if (!expiresAfter || lastActiveAt === null) return null;
  return lastActiveAt + expiresAfter.days * DAY;
}

export function buildVectorStore(input: NewVectorStore, now: number): VectorStore {
  const expires_after = input.expires_after ?? undefined;
  return {
    id: newId(ID_PREFIX.vectorStore),
    object: 'vector_store',
    created_at: now,
    name: input.name ?? null,
    usage_bytes: 0,
    file_counts: { in_progress: 0, completed: 0, failed: 0, cancelled: 0, total: 0 },
    status: 'completed',
    ...(expires_after ? { expires_after } : {}),
    expires_at: expiresAt(expires_after, now),
    last_active_at: now,
    metadata: input.metadata ?? {},
  };
}

export function buildVectorStoreFile(
  vectorStoreId: string,
  fileId: string,
  chunking: RequestedChunking,
  attributes: VectorStoreAttributes,
  now: number,
): VectorStoreFile {
  return {
    id: fileId,
    object: 'vector_store.file',
    usage_bytes: 0,
    created_at: now,
    vector_store_id: vectorStoreId,
    status: 'in_progress',
    last_error: null,
    chunking_strategy: storedChunking(chunking),
    attributes,
  };
}

export function buildFileBatch(vectorStoreId: string, now: number): VectorStoreFileBatch {
  return {
    id: newId(ID_PREFIX.fileBatch),
    object: 'vector_store.files_batch',
    created_at: now,
    vector_store_id: vectorStoreId,
    status: 'in_progress',
    file_counts: { in_progress: 0, completed: 0, failed: 0, cancelled: 0, total: 0 },
  };
}

/** True once the store's time has come, whether or not the sweep has marked it yet. */
export function isExpired(vs: VectorStore, now: number): boolean {
  return vs.status === 'expired' || (vs.expires_at !== null && vs.expires_at <= now);
}

/** Records use of the store: it stays alive `days` longer. An expired store stays expired. */
export function touchVectorStore(vs: VectorStore, now: number): VectorStore {
  if (isExpired(vs, now)) return vs;
  return { ...vs, last_active_at: now, expires_at: expiresAt(vs.expires_after, now) };
}

function counts(usage: FileCounts): FileCounts {
  return { in_progress: usage.in_progress, completed: usage.completed, failed: usage.failed, cancelled: usage.cancelled, total: usage.total };
}

/** The store as the API shows it, with counts and usage from its files. */
export function vectorStoreView(vs: VectorStore, usage: FileCounts & { usage_bytes: number }, now: number): VectorStore {
  const status = isExpired(vs, now) ? 'expired' : usage.in_progress > 0 ? 'in_progress' : 'completed';
  return { ...vs, status, usage_bytes: usage.usage_bytes, file_counts: counts(usage) };
}

/** A batch is done when none of its files is in progress; it failed only if every file failed. */
export function fileBatchView(batch: VectorStoreFileBatch, usage: FileCounts): VectorStoreFileBatch {
  let status: VectorStoreFileBatch['status'];
  if (batch.status === 'cancelled') status = 'cancelled';
  else if (usage.in_progress > 0) status = 'in_progress';
  else status = usage.total > 0 && usage.failed === usage.total ? 'failed' : 'completed';
  return { ...batch, status, file_counts: counts(usage) };
}
