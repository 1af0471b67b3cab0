import { normalizeTerm, words } from './query-terms.js';
import { dot } from './vector-search.js';

/** One query as the reranker sees it: its content terms and, when embeddings exist, its unit vector. */
export interface RerankQuery {
  terms: string[];
  vector?: Float32Array;
}

/** A fused candidate with its text and, when it was embedded, its unit vector. */
export interface RerankCandidate {
  text: string;
  vector?: Float32Array;
}

/** Lexical-only searches are ranked by BM25 and never reach the reranker. */
export type RetrievalMode = 'hybrid' | 'vector';

/**
 * Scores candidates 0..1 against the queries, so that a threshold means the same thing for every query: the
 * share of the query's terms a passage contains, each term weighted by how rare it is among the candidates
 * (a rare code counts for more than a common word), combined with the cosine similarity when both sides have
 * vectors. A passage's score is its best over the queries. `fold` maps words to what counts as the same word.
 */
export function rerank(queries: RerankQuery[], candidates: RerankCandidate[], mode: RetrievalMode, fold: (word: string) => string = normalizeTerm): number[] {
  const bags = candidates.map((c) => new Set(words(c.text).map(fold)));
  const normalized = queries.map((q) => [...new Set(q.terms.map(fold))]);
  const weight = termWeights(normalized.flat(), bags);
  return candidates.map((candidate, i) => {
    let best = 0;
    queries.forEach((query, qi) => {
      const coverage = share(normalized[qi]!, bags[i]!, weight);
      const similarity = query.vector && candidate.vector ? Math.max(0, dot(candidate.vector, 0, query.vector, query.vector.length)) : undefined;
      const score = mode === 'vector' ? (similarity ?? 0) : similarity === undefined ? coverage : combine(coverage, similarity);
      best = Math.max(best, score);
    });
    return Math.min(1, best);
  });
}

/**
 * Either kind of evidence alone can make a passage the answer (a paraphrase shares meaning but no words; a code
 * shares a word but little meaning), so the stronger one counts most and agreement adds the rest.
 */
function combine(coverage: number, similarity: number): number {
  return 0.8 * Math.max(coverage, similarity) + 0.2 * Math.min(coverage, similarity);
}

/** BM25's inverse document frequency over the candidates: always positive, larger for rarer terms. */
function termWeights(terms: string[], bags: Set<string>[]): Map<string, number> {
  const weights = new Map<string, number>();
  for (const term of terms) {
    if (weights.has(term)) continue;
    const df = bags.reduce((n, bag) => n + (bag.has(term) ? 1 : 0), 0);
    weights.set(term, Math.log(1 + (bags.length - df + 0.5) / (df + 0.5)));
  }
  return weights;
}

function share(terms: string[], bag: Set<string>, weight: Map<string, number>): number {
  let total = 0;
  let found = 0;
  for (const term of terms) {
    const w = weight.get(term)!;
    total += w;
    if (bag.has(term)) found += w;
  }
  return total === 0 ? 0 : found / total;
}
