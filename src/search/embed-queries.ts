import type { EmbeddingModel } from '../providers/embedding-model.js';

/** Query vectors, or why there are none: search then runs lexically instead of failing. */
export type QueryEmbeddings = { vectors?: Float32Array[]; error?: unknown };

/** Embeds search queries with the server's embedding model, when one is configured. */
export async function embedQueries(model: EmbeddingModel | undefined, queries: string[], signal?: AbortSignal): Promise<QueryEmbeddings> {
  if (!model || queries.length === 0) return {};
  try {
    const vectors = await model.embed(queries, signal);
    return { vectors: vectors.map((v) => Float32Array.from(v)) };
  } catch (error) {
    if (signal?.aborted) throw error;
    return { error };
  }
}
