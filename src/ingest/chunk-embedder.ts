// Embeddings for ingestion, where no embeddings is not a failure: when the model cannot answer, chunks are
// indexed without vectors (lexical search finds them) and the backfill adds vectors once it answers again. While
// it is down, files skip it instead of each waiting out the retries.
import type { Logger } from 'pino';
import type { EmbeddingModel } from '../providers/embedding-model.js';
import type { IndexedChunk } from '../search/search-index.js';
import { embedChunks } from './embed-chunks.js';
import type { Chunk } from './ingest.js';

/** Chunks as they go into the index, and the key of the model that embedded them (null when none did). */
export interface EmbeddedChunks {
  chunks: IndexedChunk[];
  embeddingModel: string | null;
}

export interface ChunkEmbedder {
  model: EmbeddingModel;
  /** Never fails for the model's sake; rethrows only when `signal` aborts. */
  embed(chunks: Chunk[], signal: AbortSignal): Promise<EmbeddedChunks>;
  /** True while the model is known not to answer. */
  isDown(): boolean;
  /** The model failed: logged once per outage, with what to set. */
  markDown(err: unknown): void;
  /** The model answered. */
  markUp(): void;
}

export interface ChunkEmbedderOptions {
  model: EmbeddingModel;
  logger?: Logger;
  /** How often vectors are retried while the model is down, for the log line. */
  retryMs: number;
  /** Called whenever chunks go without vectors, so the backfill can schedule its retry. */
  onMissing?: () => void;
}

export function createChunkEmbedder(opts: ChunkEmbedderOptions): ChunkEmbedder {
  const { model, logger } = opts;
  let down = false;
  const embedder: ChunkEmbedder = {
    model,
    async embed(chunks, signal) {
      if (chunks.length === 0) return { chunks, embeddingModel: model.key };
      if (down) {
        opts.onMissing?.();
        return { chunks, embeddingModel: null };
      }
      try {
        return { chunks: await embedChunks(model, chunks, signal), embeddingModel: model.key };
      } catch (err) {
        if (signal.aborted) throw err;
        embedder.markDown(err);
        opts.onMissing?.();
        return { chunks, embeddingModel: null };
      }
    },
    isDown: () => down,
    markDown(err) {
      if (down) return;
      down = true;
      const reason = err instanceof Error ? err.message : String(err);
      logger?.warn(
        { model: model.key, reason },
        `the embedding model ${model.name} is unavailable (${reason}): files are indexed for keyword search and get vectors when it answers ` +
          `(retried every ${Math.round(opts.retryMs / 1000)} s, or run \`assistd reembed\`). To use another model, set embedding.model and ` +
          'embedding.dimensions in the config file (ASSISTD_EMBEDDING_MODEL, ASSISTD_EMBEDDING_DIMENSIONS) and where it is served ' +
          '(a models: entry, embedding.provider and embedding.base_url, or ASSISTD_EMBEDDING_BASE_URL); ASSISTD_EMBEDDING_MODEL=none switches vectors off',
      );
    },
    markUp() {
      if (!down) return;
      down = false;
      logger?.info({ model: model.key }, 'the embedding model answers again: adding vectors to the chunks indexed without them');
    },
  };
  return embedder;
}
