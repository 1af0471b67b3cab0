import type { StoreSnapshot } from './store-snapshot.js';
import { codeLength, encodeTernary, ternarySimilarity } from './ternary-codes.js';

/** A chunk found by vector similarity; `similarity` is the cosine, -1..1. */
export interface VectorHit {
  vectorStoreId: string;
  seq: number;
  fileId: string;
  chunkIndex: number;
  similarity: number;
}

// Stores up to this many vectors are scanned exactly; larger ones are scanned by their ternary codes first, and
// the SHORTLIST_PER_RESULT x limit best of those (at least MIN_SHORTLIST) are ranked by their exact vectors. On
// 60,000 rows of 384 dimensions a shortlist of 5,000 keeps 0.995 of the exact top 10 for dense vectors (0.97 with
// 2,000) and 0.76 for the hashed bag of words of the benchmark's embeddings server, whose many near-ties codes
// cannot order; the scan takes about a seventh of the exact one.
const EXACT_ROWS = 20_000;
const SHORTLIST_PER_RESULT = 10;
const MIN_SHORTLIST = 5000;

/**
 * The `limit` chunks most similar to `query` (a unit vector) across the snapshots, by brute force over their
 * in-memory matrices: needs no extension in the database, exact for stores up to 20,000 chunks, and for larger
 * ones a scan of compact codes followed by the exact vectors of a shortlist (see ternary-codes.ts). `allowed`
 * gives, per store, which of its files may be returned (all when absent).
 */
export function vectorSearch(
  snapshots: StoreSnapshot[],
  query: Float32Array,
  limit: number,
  allowed?: Map<string, Uint8Array>,
): VectorHit[] {
  const best: Array<{ snapshot: StoreSnapshot; row: number; score: number }> = [];
  let floor = -Infinity;
  let queryCode: Int32Array | undefined;
  for (const snapshot of snapshots) {
    const { dims, data, rowFile, count } = snapshot;
    if (dims !== query.length) continue;
    const mask = allowed?.get(snapshot.vectorStoreId);
    const pass = (row: number) => !mask || mask[rowFile[row]!] === 1;
    if (count > EXACT_ROWS) queryCode ??= encode(query);
    const rows = count > EXACT_ROWS ? shortlist(snapshot, queryCode!, Math.max(MIN_SHORTLIST, limit * SHORTLIST_PER_RESULT), pass) : undefined;
    const total = rows ? rows.length : count;
    for (let i = 0; i < total; i++) {
      const row = rows ? rows[i]! : i;
      if (!rows && !pass(row)) continue;
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

function encode(query: Float32Array): Int32Array {
  const code = new Int32Array(codeLength(query.length));
  encodeTernary(query, code, 0);
  return code;
}

/**
 * The rows (passing `pass`) with the `size` best code similarities. Similarities are small integers, so the cut
 * is found with a histogram instead of sorting; rows tied at the cut fill what is left in row order.
 */
function shortlist(snapshot: StoreSnapshot, queryCode: Int32Array, size: number, pass: (row: number) => boolean): Int32Array {
  const { codes, count, dims } = snapshot;
  const width = codeLength(dims);
  const scores = new Int16Array(count);
  const histogram = new Int32Array(2 * dims + 2);
  const NONE = -dims - 1;
  for (let row = 0; row < count; row++) {
    const score = pass(row) ? ternarySimilarity(codes, row * width, queryCode) : NONE;
    scores[row] = score;
    histogram[score + dims + 1]!++;
  }
  let cut = histogram.length - 1;
  let above = 0;
  while (cut > 1 && above + histogram[cut]! < size) above += histogram[cut--]!;
  const out = new Int32Array(Math.min(size, above + histogram[cut]!));
  let n = 0;
  let tiesLeft = out.length - above;
  const cutScore = cut - dims - 1;
  for (let row = 0; row < count && n < out.length; row++) {
    const score = scores[row]!;
    if (score > cutScore || (score === cutScore && tiesLeft-- > 0)) out[n++] = row;
  }
  return out;
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
