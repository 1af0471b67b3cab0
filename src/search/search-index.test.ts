import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startChatUpstream, type ChatUpstream } from '../../test/support/chat-upstream.js';
import { createTestDatabase } from '../../test/support/postgres.js';
import type { EmbeddingModel } from '../providers/embedding-model.js';
import { createOpenAIEmbeddingModel } from '../providers/openai-embedding-model.js';
import { createStore } from '../store/create-store.js';
import type { Store } from '../store/store.js';
import { createSearchIndex } from './create-search-index.js';
import type { Attributes, SearchIndex, SearchQuery } from './search-index.js';

// The index's behaviour on both databases, with embeddings from a real local embeddings server.

for (const dialect of ['sqlite', 'postgres'] as const) {
  describe(`search index on ${dialect}`, () => {
    let store: Store;
    let index: SearchIndex;
    let upstream: ChatUpstream;
    let model: EmbeddingModel;

    before(async () => {
      const databaseUrl = dialect === 'postgres' ? await createTestDatabase() : undefined;
      store = createStore({ databaseUrl, dataDir: mkdtempSync(join(tmpdir(), 'assistd-search-')) });
      await store.migrate();
      index = createSearchIndex(store);
      upstream = await startChatUpstream({ record: false });
      model = createOpenAIEmbeddingModel({ baseURL: upstream.baseURL, apiKey: 'sk-test' });
    });
    after(async () => {
      await upstream.close();
      await store.close();
    });

    async function put(vs: string, fileId: string, texts: string[], attributes: Attributes = {}, embed = true) {
      const vectors = embed ? await model.embed(texts) : [];
      const chunks = texts.map((text, i) => ({ index: i, text, tokens: 0, embedding: embed ? Float32Array.from(vectors[i]!) : null }));
      await index.putFile('p1', vs, { fileId, filename: `${fileId}.txt`, attributes }, chunks, model.key);
    }
    async function search(q: Partial<SearchQuery> & { queries: string[] }) {
      const queryEmbeddings = q.retrieval === 'lexical' ? undefined : (await model.embed(q.queries)).map((v) => Float32Array.from(v));
      return index.search('p1', { vectorStoreIds: ['vs_a'], maxResults: 10, queryEmbeddings, embeddingModel: model.key, ...q });
    }

    test('finds passages by words and by meaning; results carry file, name, attributes, text, 0..1 score', async () => {
      await put('vs_a', 'file-gate', ['The north gate opens at dawn with access code ZX-4471-QV.'], { team: 'ops', year: 2024 });
      await put('vs_a', 'file-boat', ['The harbor ferry leaves at noon every day except Sunday.'], { team: 'travel', year: 2023 });
      await put('vs_a', 'file-tea', ['Green tea should steep for two minutes in water below boiling.'], { team: 'kitchen', year: 2022 });
      const [hit, ...rest] = await search({ queries: ['access code for the north gate'] });
      assert.equal(hit!.fileId, 'file-gate');
      assert.equal(hit!.filename, 'file-gate.txt');
      assert.deepEqual(hit!.attributes, { team: 'ops', year: 2024 });
      assert.match(hit!.text, /ZX-4471-QV/);
      assert.equal(hit!.vectorStoreId, 'vs_a');
      assert.equal(hit!.chunkIndex, 0);
      for (const r of [hit!, ...rest]) assert.ok(r.score >= 0 && r.score <= 1, `score ${r.score}`);
      assert.ok(rest.every((r) => r.score <= hit!.score));
      assert.equal((await search({ queries: ['4471'], retrieval: 'lexical' }))[0]!.fileId, 'file-gate');
    });

    test('attribute filters narrow both retrievers', async () => {
      const ids = async (filters: SearchQuery['filters']) => (await search({ queries: ['gate ferry tea'], filters })).map((h) => h.fileId).sort();
      assert.deepEqual(await ids({ type: 'eq', key: 'team', value: 'ops' }), ['file-gate']);
      assert.deepEqual(await ids({ type: 'gte', key: 'year', value: 2023 }), ['file-boat', 'file-gate']);
      assert.deepEqual(await ids({ type: 'nin', key: 'team', value: ['ops', 'travel'] }), ['file-tea']);
      assert.deepEqual(await ids({ type: 'or', filters: [{ type: 'eq', key: 'team', value: 'kitchen' }, { type: 'lt', key: 'year', value: 2024 }] }), ['file-boat', 'file-tea']);
      assert.deepEqual(await ids({ type: 'eq', key: 'team', value: 'nobody' }), []);
      // A filter that hides the best match lexically and by vector alike.
      const hits = await search({ queries: ['access code for the north gate'], filters: { type: 'ne', key: 'team', value: 'ops' } });
      assert.ok(hits.every((h) => h.fileId !== 'file-gate'));
    });

    test('score_threshold drops weak passages; ranker none keeps fused order with 0..1 scores', async () => {
      const all = await search({ queries: ['north gate access code at noon'] });
      assert.ok(all.length >= 2);
      const strong = await search({ queries: ['north gate access code at noon'], scoreThreshold: 0.6 });
      assert.deepEqual(strong.map((h) => h.fileId), ['file-gate']);
      assert.deepEqual(await search({ queries: ['north gate access code at noon'], scoreThreshold: 1.01 }), []);
      const plain = await search({ queries: ['north gate access code at noon'], ranker: 'none' });
      assert.equal(plain[0]!.fileId, 'file-gate');
      assert.ok(plain.every((h, i) => h.score <= 1 && h.score > 0 && (i === 0 || h.score <= plain[i - 1]!.score)));
      assert.equal((await search({ queries: ['north gate access code at noon'], maxResults: 1 })).length, 1);
    });

    test('several queries are fused; a file in two stores is returned once', async () => {
      await put('vs_b', 'file-gate', ['The north gate opens at dawn with access code ZX-4471-QV.'], { team: 'ops' });
      const hits = await search({ vectorStoreIds: ['vs_a', 'vs_b', 'vs_missing'], queries: ['north gate code', 'ferry on Sunday'] });
      assert.deepEqual(hits.slice(0, 2).map((h) => h.fileId).sort(), ['file-boat', 'file-gate']);
      assert.equal(hits.filter((h) => h.fileId === 'file-gate').length, 1);
      assert.deepEqual(await search({ vectorStoreIds: ['vs_missing'], queries: ['gate'] }), []);
    });

    test('changes are visible to the next search: new files, attributes, removals, whole stores', async () => {
      const before = await search({ queries: ['lighthouse keeper'] });
      assert.ok(before.every((h) => h.fileId !== 'file-light'));
      await put('vs_a', 'file-light', ['The lighthouse keeper logs the weather twice a night.'], { team: 'ops' });
      assert.equal((await search({ queries: ['lighthouse keeper'] }))[0]!.fileId, 'file-light');
      await index.setAttributes('p1', 'vs_a', 'file-light', { team: 'coast' });
      const coast = await search({ queries: ['lighthouse keeper'], filters: { type: 'eq', key: 'team', value: 'coast' } });
      assert.deepEqual(coast.map((h) => h.fileId), ['file-light']);
      await put('vs_a', 'file-light', ['The lamp room is painted white.'], { team: 'coast' });
      assert.deepEqual(await index.fileChunks('p1', 'vs_a', 'file-light'), ['The lamp room is painted white.']);
      assert.ok((await search({ queries: ['lighthouse keeper'], retrieval: 'lexical' })).every((h) => h.fileId !== 'file-light'));
      await index.removeFile('p1', 'vs_a', 'file-light');
      assert.ok((await search({ queries: ['lamp room white'] })).every((h) => h.fileId !== 'file-light'));
      await index.removeStore('p1', 'vs_b');
      assert.deepEqual(await search({ vectorStoreIds: ['vs_b'], queries: ['north gate'] }), []);
      assert.deepEqual(await index.search('p2', { vectorStoreIds: ['vs_a'], queries: ['north gate'], maxResults: 5 }), []);
    });

    test('files indexed without embeddings are still found lexically in a hybrid search', async () => {
      await put('vs_a', 'file-plain', ['Quarterly budget review for the Osprey program.'], {}, false);
      const hits = await search({ queries: ['Osprey budget'] });
      assert.equal(hits[0]!.fileId, 'file-plain');
      assert.equal((await search({ queries: ['Osprey budget'], retrieval: 'vector' })).some((h) => h.fileId === 'file-plain'), false);
    });
  });
}
