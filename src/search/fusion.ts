/** A retrieved chunk, from either retriever. */
export interface Retrieved {
  vectorStoreId: string;
  seq: number;
  fileId: string;
  chunkIndex: number;
}

/** A chunk after fusion; `rrf` sums 1 / (k + rank) over every list that retrieved it. */
export interface Fused extends Retrieved {
  rrf: number;
}

/** The usual reciprocal rank fusion constant: damps the difference between the first few ranks. */
export const RRF_K = 60;

/** The same chunk reached through two stores that share a file is one chunk: keyed by file and position. */
export const chunkKey = (hit: Pick<Retrieved, 'fileId' | 'chunkIndex'>) => `${hit.fileId}\u0000${hit.chunkIndex}`;

/**
 * Reciprocal rank fusion of ranked lists (one per query and retriever). The same chunk reached through two
 * stores that share a file counts once: chunks are keyed by file and position, not by store.
 */
export function fuse(lists: Retrieved[][]): Fused[] {
  const byKey = new Map<string, Fused>();
  for (const list of lists) {
    const inList = new Set<string>();
    for (const hit of list) {
      const key = chunkKey(hit);
      if (inList.has(key)) continue;
      inList.add(key);
      const share = 1 / (RRF_K + inList.size);
      const seen = byKey.get(key);
      if (seen) seen.rrf += share;
      else byKey.set(key, { vectorStoreId: hit.vectorStoreId, seq: hit.seq, fileId: hit.fileId, chunkIndex: hit.chunkIndex, rrf: share });
    }
  }
  return [...byKey.values()].sort((a, b) => b.rrf - a.rrf);
}

/** The fused score as 0..1: 1 for a chunk ranked first by every list. */
export function normalizedRrf(rrf: number, lists: number): number {
  return lists === 0 ? 0 : Math.min(1, rrf / (lists / (RRF_K + 1)));
}
