import { encodeInt8, int8Width } from './int8-scan.js';
import { CODES_AT, EXACT_ROWS, SCAN_BLOCK, SCAN_OUT_AT, type StoreSnapshot } from './store-snapshot.js';

// A query's code is written below the scan's output: vectors of more dimensions are always compared exactly.
const MAX_CODE_BYTES = SCAN_OUT_AT;

/** A chunk found by vector similarity; `similarity` is the cosine, -1..1. */
export interface VectorHit {
  vectorStoreId: string;
  seq: number;
  fileId: string;
  chunkIndex: number;
  similarity: number;
}

// Stores over EXACT_ROWS vectors are scanned by their int8 codes first, and
// the SHORTLIST_PER_RESULT x limit best of those (at least MIN_SHORTLIST) are ranked by their exact vectors. On
// the 300,000 vectors of bench:search (a hashed bag of words, 384 dimensions) a shortlist of 50 keeps 0.995 of
// the exact top 10; the scan reads a quarter of the bytes of an exact one, 16 dimensions per instruction.
const SHORTLIST_PER_RESULT = 4;
const MIN_SHORTLIST = 200;

/**
 * The `limit` chunks most similar to `query` (a unit vector) across the snapshots, by brute force over their
 * in-memory matrices: needs no extension in the database, exact for stores up to 20,000 chunks, and for larger
 * ones a scan of int8 codes followed by the exact vectors of a shortlist (see int8-scan.ts). `allowed` gives,
 * per store, which of its files may be returned (all when absent).
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
    const pass = (row: number) => !mask || mask[rowFile[row]!] === 1;
    const scanned = snapshot.coded === count && count > EXACT_ROWS && int8Width(dims) <= MAX_CODE_BYTES;
    const rows = scanned ? shortlist(snapshot, query, Math.max(MIN_SHORTLIST, limit * SHORTLIST_PER_RESULT), pass) : undefined;
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

/**
 * The rows (passing `pass`) with the `size` best int8 similarities, scanned a block at a time into the
 * snapshot's memory and kept in a min-heap (few rows ever beat its floor once it is full).
 */
function shortlist(snapshot: StoreSnapshot, query: Float32Array, size: number, pass: (row: number) => boolean): Int32Array {
  const { count, dims, scales } = snapshot;
  const { memory, scan } = snapshot.codes!;
  const width = int8Width(dims);
  const code = new Int8Array(memory.buffer, 0, width).fill(0);
  encodeInt8(query, code);
  const out = new Int32Array(memory.buffer, SCAN_OUT_AT, SCAN_BLOCK);
  const heapRows = new Int32Array(size);
  const heapScores = new Float64Array(size);
  let n = 0;
  for (let start = 0; start < count; start += SCAN_BLOCK) {
    const block = Math.min(SCAN_BLOCK, count - start);
    scan(CODES_AT + start * width, block, width, 0, SCAN_OUT_AT);
    for (let i = 0; i < block; i++) {
      const score = out[i]! * scales[start + i]!;
      if (n === size && score <= heapScores[0]!) continue;
      const row = start + i;
      if (!pass(row)) continue;
      if (n < size) siftUp(heapRows, heapScores, n++, row, score);
      else siftDown(heapRows, heapScores, n, row, score);
    }
  }
  return heapRows.subarray(0, n);
}

/** Adds (row, score) at the end of a min-heap of n entries. */
function siftUp(rows: Int32Array, scores: Float64Array, n: number, row: number, score: number): void {
  let i = n;
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (scores[parent]! <= score) break;
    rows[i] = rows[parent]!;
    scores[i] = scores[parent]!;
    i = parent;
  }
  rows[i] = row;
  scores[i] = score;
}

/** Replaces a full min-heap's smallest entry with (row, score). */
function siftDown(rows: Int32Array, scores: Float64Array, n: number, row: number, score: number): void {
  let i = 0;
  for (;;) {
    let child = 2 * i + 1;
    if (child >= n) break;
    if (child + 1 < n && scores[child + 1]! < scores[child]!) child++;
    if (scores[child]! >= score) break;
    rows[i] = rows[child]!;
    scores[i] = scores[child]!;
    i = child;
  }
  rows[i] = row;
  scores[i] = score;
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
