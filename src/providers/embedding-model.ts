/**
 * The narrow interface file search uses to turn text into vectors. One model per server: every vector it
 * returns has `dimensions` entries, because the search index is built for one size.
 */

/** Turns texts into vectors, in order; throws a `ProviderError` when the upstream fails for good. */
export interface EmbeddingModel {
  /** Upstream model (or Azure deployment) name; stored beside vectors so a change of model is noticed. */
  name: string;
  dimensions: number;
  embed(texts: string[], signal?: AbortSignal): Promise<number[][]>;
}

/** Used when the config names no embedding model: OpenAI's large model shortened to 256 dimensions. */
export const DEFAULT_EMBEDDING_MODEL = 'text-embedding-3-large';
export const DEFAULT_EMBEDDING_DIMENSIONS = 256;
