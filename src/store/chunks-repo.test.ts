import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createTestDatabase } from '../../test/support/postgres.js';
import { createStore } from './create-store.js';
import { COMMON_TERM_CHUNKS } from './lexical-search.js';
import type { Store } from './store.js';

// The search index's storage on SQLite (FTS5) and on Postgres (tsvector): same behaviour, different engines.

const vec = (...xs: number[]) => new Float32Array(xs);

for (const dialect of ['sqlite', 'postgres'] as const) {
  describe(`chunks repo on ${dialect}`, () => {
    let store: Store;
    before(async () => {
      const databaseUrl = dialect === 'postgres' ? await createTestDatabase() : undefined;
      store = createStore({ databaseUrl, dataDir: mkdtempSync(join(tmpdir(), 'assistd-chunks-')) });
      await store.migrate();
    });
    after(() => store.close());

    test('put, read back in order, replace, remove; counters track every change', async () => {
      const file = { fileId: 'file-a', filename: 'a.txt', attributes: { team: 'blue', year: 2024 } };
      await store.chunks.putFile('p1', 'vs_1', file, [
        { index: 1, text: 'second part', embedding: vec(0, 1) },
        { index: 0, text: 'first part', embedding: vec(1, 0) },
      ], 'm:2');
      assert.deepEqual(await store.chunks.fileChunks('p1', 'vs_1', 'file-a'), ['first part', 'second part']);
      assert.deepEqual(await store.chunks.fileChunks('p2', 'vs_1', 'file-a'), []);
      assert.deepEqual(await store.chunks.versions('p1', ['vs_1', 'vs_none']), new Map([['vs_1', { version: 1, removals: 0 }]]));

      const vectors = await store.chunks.vectorsBetween('p1', 'vs_1', 0, 1, 'm:2');
      const first = vectors.find((v) => v.chunkIndex === 0)!;
      assert.deepEqual([...new Float32Array(new Uint8Array(first.embedding).buffer)], [1, 0]);

      await store.chunks.putFile('p1', 'vs_1', { ...file, filename: 'a2.txt' }, [{ index: 0, text: 'only part', embedding: null }], null);
      assert.deepEqual(await store.chunks.fileChunks('p1', 'vs_1', 'file-a'), ['only part']);
      assert.deepEqual((await store.chunks.versions('p1', ['vs_1'])).get('vs_1'), { version: 2, removals: 1 });
      assert.equal((await store.chunks.vectorsBetween('p1', 'vs_1', 0, 2, 'm:2')).length, 0);
      assert.deepEqual(await store.chunks.filesBetween('p1', 'vs_1', 1, 2), [{ ...file, filename: 'a2.txt', version: 2 }]);

      assert.equal(await store.chunks.setAttributes('p1', 'vs_1', 'file-a', { team: 'red' }), true);
      assert.equal(await store.chunks.setAttributes('p1', 'vs_1', 'file-missing', { team: 'red' }), false);
      assert.deepEqual((await store.chunks.filesBetween('p1', 'vs_1', 2, 3))[0]!.attributes, { team: 'red' });

      assert.equal(await store.chunks.removeFile('p1', 'vs_1', 'file-a'), true);
      assert.equal(await store.chunks.removeFile('p1', 'vs_1', 'file-a'), false);
      assert.deepEqual((await store.chunks.versions('p1', ['vs_1'])).get('vs_1'), { version: 4, removals: 2 });
      assert.deepEqual(await store.chunks.fileChunks('p1', 'vs_1', 'file-a'), []);
    });

    // On Postgres every INSERT is a network round trip: the event loop turns meanwhile anyway.
    test("a large file's chunks are written in slices, the event loop turning between them", { skip: dialect !== 'sqlite' }, async () => {
      const chunks = Array.from({ length: 1000 }, (_, i) => ({ index: i, text: `part ${i} of the long file`, embedding: null }));
      let turns = 0;
      let counting = true;
      const count = () => {
        turns++;
        if (counting) setImmediate(count);
      };
      setImmediate(count);
      await store.chunks.putFile('p1', 'vs_big', { fileId: 'file-big', filename: 'big.txt', attributes: {} }, chunks, null);
      counting = false;
      // Ten INSERTs of 100 rows with a turn between each (a write of it all at once would leave a turn or two).
      assert.ok(turns >= 9, `the event loop turned ${turns} times`);
      assert.equal((await store.chunks.fileChunks('p1', 'vs_big', 'file-big')).length, 1000);
    });

    test('vectors are keyed by model: read per model, stale chunks found, re-embedded, the store marked', async () => {
      const file = (id: string) => ({ fileId: id, filename: `${id}.txt`, attributes: {} });
      // Other tests' stores share the database.
      const staleStores = async (model: string) => (await store.chunks.staleStores(model, 100)).filter((s) => s.vectorStoreId === 'vs_m');
      await store.chunks.putFile('p1', 'vs_m', file('f1'), [{ index: 0, text: 'one', embedding: vec(1, 0) }], 'old:2');
      assert.deepEqual(await staleStores('old:2'), [], 'a store wholly embedded by one model is not stale for it');
      await store.chunks.putFile('p1', 'vs_m', file('f2'), [{ index: 0, text: 'two', embedding: null }, { index: 1, text: 'three', embedding: null }], null);
      assert.deepEqual(await staleStores('old:2'), [{ project: 'p1', vectorStoreId: 'vs_m' }], 'chunks without vectors make it stale');

      const version = (await store.chunks.versions('p1', ['vs_m'])).get('vs_m')!.version;
      assert.equal((await store.chunks.vectorsBetween('p1', 'vs_m', 0, version, 'old:2')).length, 1);
      assert.equal((await store.chunks.vectorsBetween('p1', 'vs_m', 0, version, 'new:3')).length, 0, "another model's vectors are never read");

      const stale = await store.chunks.staleChunks('p1', 'vs_m', 'new:3', 0, 2);
      assert.deepEqual(stale.map((c) => c.text), ['one', 'two']);
      const after = await store.chunks.staleChunks('p1', 'vs_m', 'new:3', stale[1]!.seq, 10);
      assert.deepEqual(after.map((c) => c.text), ['three']);
      let v = await store.chunks.setEmbeddings('p1', 'vs_m', 'new:3', stale.map((c) => ({ seq: c.seq, embedding: vec(0, 1, 0) })));
      assert.ok(v > version);
      assert.equal(await store.chunks.markEmbedded('p1', 'vs_m', 'new:3', v), true, 'marking at the current version works');
      v = await store.chunks.setEmbeddings('p1', 'vs_m', 'new:3', after.map((c) => ({ seq: c.seq, embedding: vec(0, 0, 1) })));
      assert.equal(await store.chunks.markEmbedded('p1', 'vs_m', 'new:3', v - 1), false, 'a store changed since is not marked');
      assert.equal(await store.chunks.markEmbedded('p1', 'vs_m', 'new:3', v), true);
      assert.deepEqual(await staleStores('new:3'), []);
      assert.deepEqual(await store.chunks.staleChunks('p1', 'vs_m', 'new:3', 0, 10), []);
      const loaded = await store.chunks.vectorsBetween('p1', 'vs_m', version, v, 'new:3');
      assert.equal(loaded.length, 3, 're-embedded chunks are newer than the version a reader had');

      // A later file without vectors, or with another model's, makes the store stale again.
      await store.chunks.putFile('p1', 'vs_m', file('f3'), [{ index: 0, text: 'four', embedding: vec(1, 1) }], 'old:2');
      assert.deepEqual(await staleStores('new:3'), [{ project: 'p1', vectorStoreId: 'vs_m' }]);
    });

    test('lexical search: ranked, confined to stores, files and project; stems; texts by seq', async () => {
      const put = (vs: string, fileId: string, text: string, project = 'p1') =>
        store.chunks.putFile(project, vs, { fileId, filename: `${fileId}.txt`, attributes: {} }, [{ index: 0, text, embedding: null }], null);
      await put('vs_l', 'f1', 'The north gates open at dawn; code ZX-4471-QV unlocks them.');
      await put('vs_l', 'f2', 'The south gate is painted green and never opens.');
      await put('vs_l', 'f3', 'Nothing about entrances here at all.');
      await put('vs_other', 'f4', 'Code ZX-4471-QV also appears in another store.');
      await put('vs_l', 'f5', 'Code ZX-4471-QV in another project.', 'p2');

      const hits = await store.chunks.lexical('p1', { vectorStoreIds: ['vs_l'], terms: ['gate', 'dawn'], limit: 10 });
      assert.deepEqual(hits.map((h) => h.fileId), ['f1', 'f2']);
      assert.ok(hits[0]!.score > hits[1]!.score);
      assert.equal(hits[0]!.vectorStoreId, 'vs_l');

      const both = await store.chunks.lexical('p1', { vectorStoreIds: ['vs_l', 'vs_other'], terms: ['zx', '4471', 'qv'], limit: 10 });
      assert.deepEqual(both.map((h) => h.fileId).sort(), ['f1', 'f4']);
      const filtered = await store.chunks.lexical('p1', { vectorStoreIds: ['vs_l', 'vs_other'], terms: ['4471'], limit: 10, fileIds: ['f4'] });
      assert.deepEqual(filtered.map((h) => h.fileId), ['f4']);
      assert.deepEqual(await store.chunks.lexical('p1', { vectorStoreIds: ['vs_l'], terms: ['"quoted"', 'or'], limit: 10 }), []);

      const texts = await store.chunks.texts('p1', [hits[0]!.seq]);
      assert.match(texts.get(hits[0]!.seq)!, /ZX-4471-QV unlocks/);
      assert.equal((await store.chunks.texts('p2', [hits[0]!.seq])).size, 0);

      // A term in a thousand chunks is left out when a rarer one is asked for too; alone, it still matches.
      const many = Array.from({ length: COMMON_TERM_CHUNKS }, (_, i) => ({ index: i, text: `Routine entry ${i} of the ledger.`, embedding: null }));
      await store.chunks.putFile('p1', 'vs_common', { fileId: 'f-many', filename: 'many.txt', attributes: {} }, many, null);
      await put('vs_common', 'f-rare', 'A routine entry about the falcon.');
      const rare = await store.chunks.lexical('p1', { vectorStoreIds: ['vs_common'], terms: ['routine', 'falcon'], limit: 5 });
      assert.deepEqual(rare.map((h) => h.fileId), ['f-rare']);
      assert.equal((await store.chunks.lexical('p1', { vectorStoreIds: ['vs_common'], terms: ['routine'], limit: 5 })).length, 5);
      // Only common terms: chunks holding two of them are ranked first, and any one of them is enough when too few do.
      const towers = Array.from({ length: COMMON_TERM_CHUNKS }, (_, i) => ({ index: i, text: `Tower watch ${i}.`, embedding: null }));
      await store.chunks.putFile('p1', 'vs_common', { fileId: 'f-towers', filename: 'towers.txt', attributes: {} }, towers, null);
      await put('vs_common', 'f-both', 'The ledger of the tower, and a tower again.');
      const paired = await store.chunks.lexical('p1', { vectorStoreIds: ['vs_common'], terms: ['ledger', 'tower'], limit: 5 });
      assert.equal(paired.length, 5);
      assert.equal(paired[0]!.fileId, 'f-both');

      await store.chunks.removeStore('p1', 'vs_l');
      assert.deepEqual(await store.chunks.lexical('p1', { vectorStoreIds: ['vs_l'], terms: ['gate'], limit: 10 }), []);
      assert.equal((await store.chunks.versions('p1', ['vs_l'])).size, 0);
      assert.equal((await store.chunks.lexical('p2', { vectorStoreIds: ['vs_l'], terms: ['4471'], limit: 10 })).length, 1);
    });
  });
}
