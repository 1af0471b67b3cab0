// The search room's interface: chunks of vector store files go in, ranked passages come out. Implementations
// (SQLite FTS5, Postgres full-text, vectors, fusion) live beside it and are created by factories.
import type { Chunk } from '../ingest/ingest.js';

/** A vector store file's attributes, filterable at search time. */
export type Attributes = Record<string, string | number | boolean>;

/** The hosted API's attribute filter: a comparison or a compound of filters. */
export type AttributeFilter =
  | { type: 'eq' | 'ne' | 'gt' | 'gte' | 'lt' | 'lte' | 'in' | 'nin'; key: string; value: string | number | boolean | Array<string | number> }
  | { type: 'and' | 'or'; filters: AttributeFilter[] };

/** One chunk to index, with its embedding when an embedding model is configured. */
export interface IndexedChunk extends Chunk {
  embedding?: Float32Array | null;
}

/** One search over a set of vector stores. */
export interface SearchQuery {
  vectorStoreIds: string[];
  /** Several phrasings are searched and fused into one ranking. */
  queries: string[];
  /** Embeddings of `queries`, index for index, when an embedding model is configured. */
  queryEmbeddings?: Float32Array[];
  /** The key of the model that made `queryEmbeddings`: only chunk vectors from the same model are compared. */
  embeddingModel?: string;
  maxResults: number;
  filters?: AttributeFilter;
  /** Results scoring below this (0..1) are dropped. */
  scoreThreshold?: number;
  /** 'none' skips reranking. */
  ranker?: string;
  /**
   * Which retrievers run: both by default (lexical alone when there are no query embeddings). The single ones
   * exist to measure what each contributes.
   */
  retrieval?: 'hybrid' | 'lexical' | 'vector';
}

/** A retrieved passage; `score` is normalised to 0..1. */
export interface SearchHit {
  vectorStoreId: string;
  fileId: string;
  filename: string;
  score: number;
  attributes: Attributes;
  text: string;
  chunkIndex: number;
}

/** The passages of every vector store file, searchable lexically and, when embeddings exist, by vector. */
export interface SearchIndex {
  /**
   * Replaces the file's chunks in the store with these (idempotent when ingestion is retried); `embeddingModel`
   * is the key of the model that made their embeddings (null when none has one).
   */
  putFile(project: string, vectorStoreId: string, file: { fileId: string; filename: string; attributes: Attributes }, chunks: IndexedChunk[], embeddingModel: string | null): Promise<void>;
  /** Updates the attributes filters see, without re-indexing. */
  setAttributes(project: string, vectorStoreId: string, fileId: string, attributes: Attributes): Promise<void>;
  removeFile(project: string, vectorStoreId: string, fileId: string): Promise<void>;
  removeStore(project: string, vectorStoreId: string): Promise<void>;
  /** The file's chunks in order (for `GET /vector_stores/{id}/files/{file_id}/content`). */
  fileChunks(project: string, vectorStoreId: string, fileId: string): Promise<string[]>;
  search(project: string, query: SearchQuery): Promise<SearchHit[]>;
}
