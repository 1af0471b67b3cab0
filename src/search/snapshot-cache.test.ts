import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '../config.js';
import { createStore } from '../store/create-store.js';
import type { ChunksRepo } from '../store/chunks-repo.js';
import type { Store } from '../store/store.js';
import { SnapshotCache } from './store-snapshot.js';

// The in-memory copies of searched stores form one cache bounded by bytes and by stores: the least recently
// searched go first, the store being searched never does.

const MODEL = 'bench-model:8';

describe('snapshot cache bounds', () => {
  let store: Store;
  // Which stores the cache (re)loaded from the start, in order: a reload means the copy had been dropped.
  const loads: string[] = [];
  let chunks: ChunksRepo;

  before(async () => {
    store = createStore({ dataDir: mkdtempSync(join(tmpdir(), 'assistd-cache-')) });
    await store.migrate();
    for (const vs of ['vs_a', 'vs_b', 'vs_c']) {
      const rows = Array.from({ length: 100 }, (_, i) => ({ index: i, text: `passage ${i} of ${vs}`, embedding: Float32Array.from({ length: 8 }, (_, d) => d + i + 1) }));
      await store.chunks.putFile('p1', vs, { fileId: `file_${vs}`, filename: `${vs}.txt`, attributes: {} }, rows, MODEL);
    }
    chunks = {
      ...store.chunks,
      filesBetween: (project, id, afterVersion, upTo) => {
        if (afterVersion === 0) loads.push(id);
        return store.chunks.filesBetween(project, id, afterVersion, upTo);
      },
    };
  });
  after(() => store.close());

  test('at most maxStores stores stay, least recently searched dropped first', async () => {
    loads.length = 0;
    const cache = new SnapshotCache(chunks, { maxStores: 2 });
    for (const vs of ['vs_a', 'vs_b', 'vs_a', 'vs_c', 'vs_a', 'vs_b']) await cache.get('p1', [vs], MODEL);
    // vs_c pushed out vs_b (searched before the second vs_a), and vs_b coming back pushed out vs_c.
    assert.deepEqual(loads, ['vs_a', 'vs_b', 'vs_c', 'vs_b']);
    assert.equal(cache.usage().stores, 2);
  });

  test('the byte bound drops older stores but keeps the one being searched, even alone over it', async () => {
    loads.length = 0;
    const one = (await new SnapshotCache(chunks).get('p1', ['vs_a'], MODEL))[0]!;
    assert.ok(one.bytes >= 100 * 8 * 4, `a store's bytes count its vectors: ${one.bytes}`);
    loads.length = 0;
    const cache = new SnapshotCache(chunks, { maxBytes: Math.floor(one.bytes * 1.5) });
    await cache.get('p1', ['vs_a'], MODEL);
    await cache.get('p1', ['vs_b'], MODEL);
    assert.equal(cache.usage().stores, 1);
    await cache.get('p1', ['vs_a', 'vs_b'], MODEL);
    assert.equal(cache.usage().stores, 2, 'both stores of one search stay');
    assert.deepEqual(loads, ['vs_a', 'vs_b', 'vs_a']);
  });

  test('a store loaded whole holds no spare room; one that grows keeps room instead of copying all on each file', async () => {
    const put = (i: number, rows: number) =>
      store.chunks.putFile('p1', 'vs_grow', { fileId: `file_g${i}`, filename: `g${i}.txt`, attributes: {} }, Array.from({ length: rows }, (_, r) => ({ index: r, text: `grow ${i} ${r}`, embedding: Float32Array.from({ length: 8 }, (_, d) => d + r + 1) })), MODEL);
    await put(0, 100);
    const cache = new SnapshotCache(chunks);
    const loaded = (await cache.get('p1', ['vs_grow'], MODEL))[0]!;
    assert.equal(loaded.data.length, 100 * 8, 'sized to its chunks');
    await put(1, 1);
    const grown = (await cache.get('p1', ['vs_grow'], MODEL))[0]!.data;
    await put(2, 1);
    const again = (await cache.get('p1', ['vs_grow'], MODEL))[0]!;
    assert.equal(again.count, 102);
    assert.equal(again.data, grown, 'the second file fits the room the first one made');
  });

  test('the bounds come from vector_cache_mb / vector_cache_stores and their ASSISTD_ variables', () => {
    const config = loadConfig({}, { ASSISTD_VECTOR_CACHE_MB: '64', ASSISTD_VECTOR_CACHE_STORES: '12' });
    assert.deepEqual(config.searchCache, { maxBytes: 64 * 1024 * 1024, maxStores: 12 });
    assert.deepEqual(loadConfig({}, {}).searchCache, { maxBytes: 256 * 1024 * 1024, maxStores: 1000 });
  });
});
