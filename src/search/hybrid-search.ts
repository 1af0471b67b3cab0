import type { ChunksRepo } from '../store/chunks-repo.js';
import { matchesFilter } from './attribute-filter.js';
import { chunkKey, fuse, normalizedRrf, type Fused, type Retrieved } from './fusion.js';
import { contentTerms, termFolder } from './query-terms.js';
import { rerank } from './rerank.js';
import type { AttributeFilter, SearchHit, SearchQuery } from './search-index.js';
import { normalize, type SnapshotCache, type StoreSnapshot } from './store-snapshot.js';
import { vectorSearch } from './vector-search.js';

// How many chunks each retriever returns per query, and how many fused chunks the reranker reads: enough that
// the right passage is almost always among them, few enough that reading their text stays cheap.
const CANDIDATES = 50;
const RERANK_WINDOW = 50;

/** Per store, which of its snapshot's files pass the filter (1) or not (0). */
type Allowed = Map<string, Uint8Array>;

/**
 * One search: lexical and vector candidates for every query, fused by reciprocal rank, reranked to 0..1 scores
 * (unless the ranker is `none`), thresholded and cut to `maxResults`.
 */
export async function hybridSearch(chunks: ChunksRepo, cache: SnapshotCache, project: string, q: SearchQuery): Promise<SearchHit[]> {
  const embedded = q.queryEmbeddings?.length === q.queries.length && q.embeddingModel !== undefined;
  const snapshots = await cache.get(project, [...new Set(q.vectorStoreIds)], embedded ? q.embeddingModel : undefined);
  if (snapshots.length === 0 || q.maxResults <= 0 || q.queries.length === 0) return [];
  const byStore = new Map(snapshots.map((s) => [s.vectorStoreId, s]));
  const allowed = q.filters ? allowedFiles(snapshots, q.filters) : undefined;
  const fileIds = allowed ? allowedIds(snapshots, allowed) : undefined;
  if (fileIds?.length === 0) return [];

  const mode = q.retrieval ?? 'hybrid';
  const vectors = embedded ? q.queryEmbeddings!.map((v) => normalize(Float32Array.from(v))) : undefined;
  const depth = Math.max(CANDIDATES, q.maxResults * 2);
  // A chunk is visible when its file is in the snapshot (written before the snapshot's version) and allowed.
  const visible = (hit: Retrieved) => {
    const snapshot = byStore.get(hit.vectorStoreId);
    const file = snapshot?.fileIndex.get(hit.fileId);
    return file !== undefined && (!allowed || allowed.get(hit.vectorStoreId)![file] === 1);
  };
  const vectorStoreIds = [...byStore.keys()];
  const retrievals: Array<Promise<Retrieved[]>> = [];
  // Each chunk's lexical scores (0..1 BM25) summed over the queries, keyed like fusion keys chunks.
  const lexicalScores = new Map<string, number>();
  q.queries.forEach((query, i) => {
    if (mode !== 'vector') {
      const lexical = chunks.lexical(project, { vectorStoreIds, terms: contentTerms(query), limit: depth, ...(fileIds ? { fileIds } : {}) });
      retrievals.push(
        lexical.then((hits) => {
          const shown = hits.filter(visible);
          // One score per chunk and query, however many stores share its file.
          const best = new Map<string, number>();
          for (const h of shown) best.set(chunkKey(h), Math.max(best.get(chunkKey(h)) ?? 0, h.score));
          for (const [key, score] of best) lexicalScores.set(key, (lexicalScores.get(key) ?? 0) + score);
          return shown;
        }),
      );
    }
    if (mode !== 'lexical' && vectors) retrievals.push(Promise.resolve(vectorSearch(snapshots, vectors[i]!, depth, allowed)));
  });
  const lists = await Promise.all(retrievals);
  const fused = fuse(lists);
  if (fused.length === 0) return [];

  const threshold = q.scoreThreshold ?? 0;
  let ranked: Array<{ hit: Fused; score: number }>;
  let texts: Map<number, string>;
  if (q.ranker === 'none') {
    ranked = fused.slice(0, q.maxResults).map((hit) => ({ hit, score: normalizedRrf(hit.rrf, lists.length) }));
    texts = await chunks.texts(project, ranked.map((r) => r.hit.seq));
  } else if (!vectors || mode === 'lexical') {
    // Lexical only: BM25 already weighs rare terms, repeats and length, and its normalised score is comparable
    // between queries. A passage scores its mean over the queries: several queries are several phrasings of one
    // need, and a passage answering more of them ranks higher (on SciFact claims searched as two queries, the mean
    // scores nDCG@10 0.652 where the best query's score alone gave 0.628).
    ranked = fused.map((hit) => ({ hit, score: (lexicalScores.get(chunkKey(hit)) ?? 0) / q.queries.length })).filter((r) => r.score > 0);
    ranked.sort((a, b) => b.score - a.score || b.hit.rrf - a.hit.rrf);
    ranked = ranked.filter((r) => r.score >= threshold).slice(0, q.maxResults);
    texts = await chunks.texts(project, ranked.map((r) => r.hit.seq));
  } else {
    const window = fused.slice(0, Math.max(RERANK_WINDOW, q.maxResults));
    texts = await chunks.texts(project, window.map((h) => h.seq));
    const scores = rerank(
      q.queries.map((query, i) => ({ terms: contentTerms(query), ...(vectors ? { vector: vectors[i] } : {}) })),
      window.map((h) => ({ text: texts.get(h.seq) ?? '', vector: byStore.get(h.vectorStoreId)!.vectorOf(h.seq) })),
      mode === 'vector' ? 'vector' : 'hybrid',
      termFolder(chunks.language),
    );
    // A passage sharing no term with any query and pointing away from all of them is no answer at all.
    ranked = window
      .map((hit, i) => ({ hit, score: scores[i]! }))
      .filter((r) => r.score > 0)
      .sort((a, b) => b.score - a.score || b.hit.rrf - a.hit.rrf);
  }
  return ranked
    .filter((r) => r.score >= threshold && texts.has(r.hit.seq))
    .slice(0, q.maxResults)
    .map(({ hit, score }) => toSearchHit(byStore.get(hit.vectorStoreId)!, hit, score, texts.get(hit.seq)!));
}

function allowedFiles(snapshots: StoreSnapshot[], filter: AttributeFilter): Allowed {
  return new Map(snapshots.map((s) => [s.vectorStoreId, Uint8Array.from(s.files, (f) => (matchesFilter(f.attributes, filter) ? 1 : 0))]));
}

function allowedIds(snapshots: StoreSnapshot[], allowed: Allowed): string[] {
  const ids = new Set<string>();
  for (const s of snapshots) {
    const mask = allowed.get(s.vectorStoreId)!;
    s.files.forEach((f, i) => mask[i] === 1 && ids.add(f.fileId));
  }
  return [...ids];
}

function toSearchHit(snapshot: StoreSnapshot, hit: Fused, score: number, text: string): SearchHit {
  const file = snapshot.files[snapshot.fileIndex.get(hit.fileId)!]!;
  return {
    vectorStoreId: hit.vectorStoreId,
    fileId: hit.fileId,
    filename: file.filename,
    score: Math.round(score * 1e6) / 1e6,
    attributes: file.attributes,
    text,
    chunkIndex: hit.chunkIndex,
  };
}
