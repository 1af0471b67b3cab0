import assert from 'node:assert/strict';
import { test } from 'node:test';
import { StoreSnapshot } from './store-snapshot.js';
import { dot, vectorSearch } from './vector-search.js';

// Stores over 20,000 vectors are scanned by int8 codes and a shortlist ranked exactly: the nearest rows must
// still come first, and filtered files must stay out.

function snapshot(rows: number, dims: number): StoreSnapshot {
  const s = new StoreSnapshot('vs_big', { version: 1, removals: 0 });
  s.addFiles([
    { fileId: 'file_even', filename: 'even.txt', attributes: {}, version: 1 },
    { fileId: 'file_odd', filename: 'odd.txt', attributes: {}, version: 1 },
  ]);
  const batch = Array.from({ length: rows }, (_, r) => {
    const v = Float32Array.from({ length: dims }, (_, d) => Math.sin(r * 12.9898 + d * 78.233) * 43758.5453 % 1);
    return { seq: r + 1, fileId: r % 2 === 0 ? 'file_even' : 'file_odd', chunkIndex: r, embedding: new Uint8Array(v.buffer) };
  });
  s.addVectors(batch);
  return s;
}

test('a large store is searched through codes and a shortlist, nearest rows first, filters kept', () => {
  const s = snapshot(25_000, 64);
  for (const row of [7, 12_345, 24_998]) {
    const query = Float32Array.from(s.data.subarray(row * 64, (row + 1) * 64));
    const hits = vectorSearch([s], query, 5);
    assert.equal(hits[0]!.seq, row + 1);
    assert.ok(hits[0]!.similarity > 0.999);
    const odd = vectorSearch([s], query, 5, new Map([['vs_big', Uint8Array.from([0, 1])]]));
    assert.ok(odd.every((h) => h.fileId === 'file_odd'));
    assert.equal(odd[0]!.seq === row + 1, row % 2 === 1);
  }
});

/** A hashed bag of words (like the benchmark's embeddings server): word w adds ±1 to dimension hash(w) % dims. */
function bagOfWords(words: number[], dims: number): Float32Array {
  const v = new Float32Array(dims);
  for (const w of words) {
    const h = Math.imul(w + 1, 2654435761) >>> 0;
    v[h % dims]! += h & 0x80000000 ? -1 : 1;
  }
  return v;
}

test('the scan of a large store keeps the exact top 10 of sparse, near-tied vectors (recall@10 >= 0.95)', () => {
  const dims = 384;
  let seed = 7;
  const next = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
  // Zipf-like word draws: a few words in every passage, most in few.
  const word = () => Math.floor(Math.exp(next() * Math.log(20_000)));
  const s = new StoreSnapshot('vs_words', { version: 1, removals: 0 });
  s.addFiles([{ fileId: 'file_1', filename: 'a.txt', attributes: {}, version: 1 }]);
  s.addVectors(Array.from({ length: 25_000 }, (_, r) => {
    const v = bagOfWords(Array.from({ length: 60 }, word), dims);
    return { seq: r + 1, fileId: 'file_1', chunkIndex: r, embedding: new Uint8Array(v.buffer) };
  }));
  let recall = 0;
  const queries = 20;
  for (let k = 0; k < queries; k++) {
    const query = bagOfWords([word(), word(), 30 + Math.floor(next() * 300)], dims);
    const unit = Float32Array.from(query);
    let norm = 0;
    for (const x of unit) norm += x * x;
    unit.forEach((x, i) => (unit[i] = x / Math.sqrt(norm)));
    const exact = Array.from({ length: s.count }, (_, row) => ({ seq: row + 1, score: dot(s.data, row * dims, unit, dims) }))
      .sort((a, b) => b.score - a.score)
      .slice(0, 10);
    const floor = exact[9]!.score;
    const found = vectorSearch([s], unit, 10);
    // A hit tied with the exact 10th is as good as it (ties are ordered arbitrarily by both).
    recall += found.filter((h) => h.similarity >= floor - 1e-6).length / 10;
  }
  assert.ok(recall / queries >= 0.95, `recall@10 ${recall / queries}`);
});
