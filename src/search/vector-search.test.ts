import assert from 'node:assert/strict';
import { test } from 'node:test';
import { StoreSnapshot } from './store-snapshot.js';
import { vectorSearch } from './vector-search.js';

// Stores over 20,000 vectors are scanned by ternary codes and a shortlist ranked exactly: the nearest rows must
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
