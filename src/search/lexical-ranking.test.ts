import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createTestDatabase } from '../../test/support/postgres.js';
import { createStore } from '../store/create-store.js';
import type { Store } from '../store/store.js';
import { createSearchIndex } from './create-search-index.js';
import type { SearchIndex } from './search-index.js';

// Lexical search (no embedding model) ranks by BM25 on both databases: a term repeated in a short passage counts
// for more than a passing mention in a long one, and a common word counts for little.

const FILLER = 'The committee reviewed the quarterly budget and approved the annual plan for the regional offices. ';

for (const dialect of ['sqlite', 'postgres'] as const) {
  describe(`lexical ranking on ${dialect}`, () => {
    let store: Store;
    let index: SearchIndex;
    let dir: string;

    before(async () => {
      const databaseUrl = dialect === 'postgres' ? await createTestDatabase() : undefined;
      dir = mkdtempSync(join(tmpdir(), 'assistd-lexical-'));
      store = createStore({ databaseUrl, dataDir: dir });
      await store.migrate();
      index = createSearchIndex(store);
      const put = (fileId: string, text: string) => index.putFile('p1', 'vs', { fileId, filename: `${fileId}.txt`, attributes: {} }, [{ index: 0, text, tokens: 0 }], null);
      await put('focused', 'Glioblastoma recurs after surgery. Glioblastoma resists radiotherapy. In glioblastoma, stem-like populations drive regrowth.');
      await put('mention', `${FILLER.repeat(12)}One slide mentioned glioblastoma, stem and cells in passing. ${FILLER.repeat(12)}`);
      for (let i = 0; i < 10; i++) await put(`cells-${i}`, `Cells of type ${i} divide every day in culture; the cells were counted twice.`);
      const putOther = (fileId: string, text: string) => index.putFile('p1', 'vs2', { fileId, filename: `${fileId}.txt`, attributes: {} }, [{ index: 0, text, tokens: 0 }], null);
      await putOther('one', 'Meteorites struck the tundra, and meteorites scarred the tundra.');
      await putOther('both', 'Meteorites struck the tundra near the glaciers, where lichens grow on the stones beside a frozen lake.');
    });
    after(async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    });

    const search = (query: string, scoreThreshold?: number) =>
      index.search('p1', { vectorStoreIds: ['vs'], queries: [query], maxResults: 5, ...(scoreThreshold !== undefined ? { scoreThreshold } : {}) });

    test('repeats in a short passage beat a passing mention of every word in a long one', async () => {
      const hits = await search('glioblastoma stem cells');
      assert.deepEqual(
        hits.slice(0, 2).map((h) => h.fileId),
        ['focused', 'mention'],
      );
      assert.ok(hits.every((h, i) => h.score > 0 && h.score <= 1 && (i === 0 || h.score <= hits[i - 1]!.score)), JSON.stringify(hits.map((h) => h.score)));
    });

    test('scores are comparable between queries: a threshold drops passages missing the rare terms', async () => {
      const [best] = await search('glioblastoma radiotherapy');
      assert.equal(best?.fileId, 'focused');
      assert.ok(best!.score >= 0.9, `a short passage holding every term scores near 1, got ${best!.score}`);
      const strict = await search('glioblastoma cells', 0.5);
      assert.ok(strict.length > 0 && strict.every((h) => !h.fileId.startsWith('cells-')), JSON.stringify(strict.map((h) => [h.fileId, h.score])));
    });

    test('several queries: a passage answering more of them ranks first (its score is its mean over the queries)', async () => {
      const alone = await index.search('p1', { vectorStoreIds: ['vs2'], queries: ['meteorites tundra'], maxResults: 5 });
      assert.equal(alone[0]?.fileId, 'one');
      const hits = await index.search('p1', { vectorStoreIds: ['vs2'], queries: ['meteorites tundra', 'glaciers lichens'], maxResults: 5 });
      assert.deepEqual(hits.map((h) => h.fileId), ['both', 'one'], JSON.stringify(hits.map((h) => [h.fileId, h.score])));
      assert.ok(hits[1]!.score <= 0.5, 'a passage matching one of two queries scores at most half');
    });
  });
}
