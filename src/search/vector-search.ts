import type { StoreSnapshot } from './store-snapshot.js';

/** A chunk found by vector similarity; `similarity` is the cosine, -1..1. */
export interface VectorHit {
  vectorStoreId: string;
  seq: number;
  fileId: string;
  chunkIndex: number;
  similarity: number;
}

/**
 * The `limit` chunks most similar to `query` (a unit vector) across the snapshots, by brute force over their
 * in-memory matrices: exact, needs no extension in the database, and takes a few milliseconds for tens of
 * thousands of chunks. `allowed` gives, per store, which of its files may be returned (all when absent).
 */
export function vectorSearch(
  snapshots: StoreSnapshot[],
  query: Float32Array,
  limit: number,
  allowed?: Map<string, Uint8Array>,
): VectorHit[] {
  const best: Array<{ snapshot: StoreSnapshot; row: number; score: number }> = [];
  let floor = -Infinity;
  for (const snapshot of snapshots) {
    const { dims, data, rowFile, count } = snapshot;
    if (dims !== query.length) continue;
    const mask = allowed?.get(snapshot.vectorStoreId);
    for (let row = 0; row < count; row++) {
      if (mask && mask[rowFile[row]!] === 0) continue;
      const score = dot(data, row * dims, query, dims);
      if (best.length >= limit && score <= floor) continue;
      insertSorted(best, { snapshot, row, score }, limit);
      floor = best.length >= limit ? best[best.length - 1]!.score : -Infinity;
    }
  }
  return best.map(({ snapshot, row, score }) => ({
    vectorStoreId: snapshot.vectorStoreId,
    seq: snapshot.rowSeq[row]!,
    fileId: snapshot.files[snapshot.rowFile[row]!]!.fileId,
    chunkIndex: snapshot.rowChunk[row]!,
    similarity: score,
  }));
}

/** Dot product of a matrix row and a vector, unrolled by four (the hot loop of every hybrid search). */
export function dot(data: Float32Array, offset: number, query: Float32Array, dims: number): number {
  let a = 0;
  let b = 0;
  let c = 0;
  let d = 0;
  let i = 0;
  for (; i + 3 < dims; i += 4) {
    a += data[offset + i]! * query[i]!;
    b += data[offset + i + 1]! * query[i + 1]!;
    c += data[offset + i + 2]! * query[i + 2]!;
    d += data[offset + i + 3]! * query[i + 3]!;
  }
  for (; i < dims; i++) a += data[offset + i]! * query[i]!;
  return a + b + c + d;
}

function insertSorted<T extends { score: number }>(list: T[], item: T, limit: number): void {
  let i = list.length;
  while (i > 0 && list[i - 1]!.score < item.score) i--;
  list.splice(i, 0, item);
  if (list.length > limit) list.pop();
}
