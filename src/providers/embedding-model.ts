/**
 * The narrow interface file search uses to turn text into vectors. One model per server: every vector it
 * returns has the same size, because a store's vectors are only comparable with vectors of the same model.
 */

/** Turns texts into vectors, in order; throws a `ProviderError` when the upstream fails for good. */
export interface EmbeddingModel {
  /** Upstream model (or Azure deployment) name. */
  name: string;
  /** The configured vector size; undefined means whatever size the model returns (the same size every time). */
  dimensions?: number;
  /** Names the vectors this model makes (model and size); stored beside each vector so a change of model is noticed. */
  key: string;
  embed(texts: string[], signal?: AbortSignal): Promise<number[][]>;
}

/** Used when the config names no embedding model: OpenAI's large model shortened to 256 dimensions. */
export const DEFAULT_EMBEDDING_MODEL = 'text-embedding-3-large';
export const DEFAULT_EMBEDDING_DIMENSIONS = 256;

/** The key of a model's vectors: its name, and the size when one is asked for. */
export function embeddingKey(name: string, dimensions?: number): string {
  return dimensions === undefined ? name : `${name}:${dimensions}`;
}
