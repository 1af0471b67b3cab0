import type { EmbeddingModel } from '../providers/embedding-model.js';
import type { IndexedChunk } from '../search/search-index.js';
import type { Chunk } from './ingest.js';

// Texts handed to the model per call: the model batches its own requests further; this bounds how many vectors
// of one large file are held in flight at once.
const GROUP = 256;

/** Adds an embedding to every chunk, in order. Throws the model's error when the upstream fails for good. */
export async function embedChunks(model: EmbeddingModel, chunks: Chunk[], signal?: AbortSignal): Promise<IndexedChunk[]> {
  const out: IndexedChunk[] = [];
  for (let start = 0; start < chunks.length; start += GROUP) {
    const group = chunks.slice(start, start + GROUP);
    const vectors = await model.embed(group.map((c) => c.text), signal);
    if (vectors.length !== group.length) throw new Error(`the embedding model returned ${vectors.length} vectors for ${group.length} texts`);
    group.forEach((chunk, i) => out.push({ ...chunk, embedding: Float32Array.from(vectors[i]!) }));
  }
  return out;
}
