import type { EmbeddingModel } from '../providers/embedding-model.js';
import type { SearchQuery } from './search-index.js';

/** The query's vectors and the model that made them, or why there are none: search then runs lexically instead of failing. */
export type QueryEmbeddings = { query: Pick<SearchQuery, 'queryEmbeddings' | 'embeddingModel'>; error?: unknown };

/** Embeds search queries with the server's embedding model, when one is configured. */
export async function embedQueries(model: EmbeddingModel | undefined, queries: string[], signal?: AbortSignal): Promise<QueryEmbeddings> {
  if (!model || queries.length === 0) return { query: {} };
  try {
    const vectors = await model.embed(queries, signal);
    return { query: { queryEmbeddings: vectors.map((v) => Float32Array.from(v)), embeddingModel: model.key } };
  } catch (error) {
    if (signal?.aborted) throw error;
    return { query: {}, error };
  }
}
