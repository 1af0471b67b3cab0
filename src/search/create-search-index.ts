import type { Store } from '../store/store.js';
import { hybridSearch } from './hybrid-search.js';
import type { SearchIndex } from './search-index.js';
import { SnapshotCache, type SnapshotCacheLimits } from './store-snapshot.js';

/** Bounds of the in-memory copies of searched stores (their files and vectors). */
export type SearchIndexOptions = SnapshotCacheLimits;

/**
 * The search index over the store's chunks repository: full-text search in the database, vectors compared in
 * memory from a per-store copy that follows the database by version (so several processes can share it).
 */
export function createSearchIndex(store: Store, options: SearchIndexOptions = {}): SearchIndex {
  const cache = new SnapshotCache(store.chunks, options);
  return {
    async putFile(project, vectorStoreId, file, chunks, embeddingModel) {
      const rows = chunks.map((c) => ({ index: c.index, text: c.text, embedding: c.embedding ?? null }));
      await store.chunks.putFile(project, vectorStoreId, file, rows, embeddingModel);
    },
    async setAttributes(project, vectorStoreId, fileId, attributes) {
      await store.chunks.setAttributes(project, vectorStoreId, fileId, attributes);
    },
    async removeFile(project, vectorStoreId, fileId) {
      await store.chunks.removeFile(project, vectorStoreId, fileId);
    },
    removeStore: (project, vectorStoreId) => store.chunks.removeStore(project, vectorStoreId),
    fileChunks: (project, vectorStoreId, fileId) => store.chunks.fileChunks(project, vectorStoreId, fileId),
    search: (project, query) => hybridSearch(store.chunks, cache, project, query),
  };
}
