import { readFileSync } from 'node:fs';
import { DEFAULT_PROJECT } from '../src/http/auth.js';
import { normalize, StoreSnapshot } from '../src/search/store-snapshot.js';
import { dot, vectorSearch } from '../src/search/vector-search.js';
import { createStore } from '../src/store/create-store.js';
import { embedText } from '../test/support/chat-upstream.js';
import { keyOf, pick } from './search-corpus.js';
import { topicQuery } from './search-scale.js';

// Recall of the vector scan against exact brute force, on a store bench:search seeded and kept:
//   node --import tsx bench/vector-recall.ts <BENCH_SEARCH_DATA>/sqlite-100000
// For 100 fact and 100 topic queries, the share of the exact top k (10 and 50) that vectorSearch returns, and its
// time per query. Hits tied with the exact k-th count as found.

const dir = process.argv[2];
if (!dir) throw new Error('usage: bench/vector-recall.ts <seeded data dir>');
const { storeId } = JSON.parse(readFileSync(`${dir}/bench-store.json`, 'utf8')) as { storeId: string };
const store = createStore({ dataDir: dir });
const snapshot = new StoreSnapshot(storeId, { version: 1, removals: 0 }, 'bench');
snapshot.addFiles(await store.chunks.filesBetween(DEFAULT_PROJECT, storeId, 0, Number.MAX_SAFE_INTEGER));
snapshot.addVectors(await store.chunks.vectorsBetween(DEFAULT_PROJECT, storeId, 0, Number.MAX_SAFE_INTEGER, 'text-embedding-3-large:384'));
snapshot.trim();
await store.close();

const { count, dims, data } = snapshot;
const kinds = {
  fact: Array.from({ length: 100 }, (_, k) => `What is the access key for record ${keyOf(pick(k, 8) % 100_000)}?`),
  topic: Array.from({ length: 100 }, (_, k) => topicQuery(k)),
};
const scores = new Float32Array(count);
for (const k of [10, 50]) {
  for (const [kind, queries] of Object.entries(kinds)) {
    let found = 0;
    const times: number[] = [];
    for (const text of queries) {
      const query = normalize(Float32Array.from(embedText(text, dims)));
      for (let row = 0; row < count; row++) scores[row] = dot(data, row * dims, query, dims);
      const floor = [...scores].sort((a, b) => b - a)[k - 1]!;
      const started = performance.now();
      const hits = vectorSearch([snapshot], query, k);
      times.push(performance.now() - started);
      found += hits.filter((h) => h.similarity >= floor - 1e-6).length;
    }
    times.sort((a, b) => a - b);
    console.log(JSON.stringify({ rows: count, k, kind, recall: found / (k * queries.length), p50Ms: Math.round(times[times.length >> 1]! * 10) / 10 }));
  }
}
