// The ingest room: turn a stored file into text chunks for the search index, off the main event loop.
// Everything callers need is declared here; implementations live beside it.
import { createWorkerPool } from './worker-pool.js';

export { validateChunkingStrategy, resolveChunking } from './chunking-strategy.js';
export { SUPPORTED_EXTENSIONS } from './supported-types.js';

/** How a file is split into chunks, exactly as the Assistants API accepts it on vector store files. */
export type ChunkingStrategy =
  | { type: 'auto' }
  | { type: 'static'; static: { max_chunk_size_tokens: number; chunk_overlap_tokens: number } };

/**
 * One piece of a file's text. `tokens` is its cl100k_base length as counted while tokenizing the whole file;
 * re-encoding the chunk alone can differ by one token where its edge splits a run of whitespace.
 */
export interface Chunk {
  index: number;
  text: string;
  tokens: number;
}

/** The codes a vector store file's `last_error` can carry. */
export type IngestErrorCode = 'unsupported_file' | 'invalid_file' | 'server_error';

/**
 * The outcome of ingesting one file. `bytes` is the UTF-8 size of the extracted text and `tokens` its
 * token count (each counted once, overlap excluded). Failures are values, never throws.
 */
export type IngestResult =
  | { ok: true; chunks: Chunk[]; bytes: number; tokens: number }
  | { ok: false; error: { code: IngestErrorCode; message: string } };

/** What to ingest: the file's bytes on local disk, its user-facing name (the extension picks the parser). */
export interface IngestInput {
  path: string;
  filename: string;
  chunking: ChunkingStrategy;
}

/** Live counters of the pool, for metrics and for tests that check concurrency stays bounded. */
export interface IngestorStats {
  /** Files being parsed right now. */
  active: number;
  /** Files waiting for a free worker. */
  queued: number;
  /** Worker threads alive. */
  workers: number;
}

/** Parses and chunks files on a bounded pool of worker threads. */
export interface Ingestor {
  ingest(input: IngestInput): Promise<IngestResult>;
  stats(): IngestorStats;
  /** Stops the workers; files still queued or running resolve with `server_error`. */
  close(): Promise<void>;
}

/** Tuning for {@link createIngestor}; the defaults suit one machine. */
export interface IngestorOptions {
  /** Worker threads, i.e. files parsed at once. Default: available cores minus one, at least 1, at most 4. */
  concurrency?: number;
  /** Base time allowed per file before its worker is killed. Default 60 s. */
  timeoutMs?: number;
  /** Extra time allowed per MiB of input, so large legitimate files are not cut off. Default 2 s. */
  timeoutPerMibMs?: number;
  /** Heap cap per worker; a file that needs more fails as `invalid_file` instead of taking the server down. */
  maxHeapMb?: number;
}

/** Creates the worker-thread pool that parses and chunks files. */
export function createIngestor(opts: IngestorOptions = {}): Ingestor {
  return createWorkerPool(opts);
}
