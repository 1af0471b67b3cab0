import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startChatUpstream, type ChatUpstream } from '../../test/support/chat-upstream.js';
import { fixtureContent } from '../../test/support/fixtures/fixture-content.js';
import { createTestDatabase } from '../../test/support/postgres.js';
import { ALL_FIXTURE_EXTS, writeFixture } from '../../test/support/fixtures/write-fixture.js';
import { createIngestor } from '../ingest/ingest.js';
import type { EmbeddingModel } from '../providers/embedding-model.js';
import { createOpenAIEmbeddingModel } from '../providers/openai-embedding-model.js';
import { createStore } from '../store/create-store.js';
import type { Store } from '../store/store.js';
import { createSearchIndex } from './create-search-index.js';
import type { SearchIndex, SearchQuery } from './search-index.js';

// What search is for: a fact hidden in every supported format is found; meaning helps where words differ;
// words win where an exact code matters. Embeddings come over HTTP from the local embeddings server, which
// embeds these synonyms alike, as a real model would.
const SYNONYMS = { automobile: 'car', vehicle: 'car', serviced: 'maintenance', servicing: 'maintenance', often: 'frequency', intervals: 'frequency' };

for (const dialect of ['sqlite', 'postgres'] as const) {
  describe(`search quality on ${dialect}`, () => {
    let store: Store;
    let index: SearchIndex;
    let upstream: ChatUpstream;
    let model: EmbeddingModel;
    let dir: string;

    before(async () => {
      const databaseUrl = dialect === 'postgres' ? await createTestDatabase() : undefined;
      dir = mkdtempSync(join(tmpdir(), 'assistd-quality-'));
      store = createStore({ databaseUrl, dataDir: dir });
      await store.migrate();
      index = createSearchIndex(store);
      upstream = await startChatUpstream({ record: false, embeddingSynonyms: SYNONYMS });
      model = createOpenAIEmbeddingModel({ baseURL: upstream.baseURL, apiKey: 'sk-test' });
    });
    after(async () => {
      await upstream.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    });

    async function put(vs: string, fileId: string, texts: string[]) {
      const vectors = await model.embed(texts);
      await index.putFile('p1', vs, { fileId, filename: `${fileId}.txt`, attributes: {} }, texts.map((text, i) => ({ index: i, text, tokens: 0, embedding: Float32Array.from(vectors[i]!) })), model.key);
    }
    async function ranks(vs: string, query: string, retrieval: SearchQuery['retrieval']) {
      const queryEmbeddings = (await model.embed([query])).map((v) => Float32Array.from(v));
      return (await index.search('p1', { vectorStoreIds: [vs], queries: [query], queryEmbeddings, embeddingModel: model.key, maxResults: 10, retrieval })).map((h) => h.fileId);
    }

    test('the fact hidden in every supported format is the top result for its question', async () => {
      const ingestor = createIngestor({ concurrency: 2 });
      try {
        const facts = ALL_FIXTURE_EXTS.map((ext, i) => ({ ext, label: `Archive${i}${ext}`, code: `Q${i}-${1000 + i * 37}-ZX` }));
        await Promise.all(
          facts.map(async ({ ext, label, code }) => {
            const path = writeFixture(dir, ext, `The vault code for ${label} is ${code}.`, { name: `fact-${ext}`, words: 400 });
            const result = await ingestor.ingest({ path, filename: `fact.${ext}`, chunking: { type: 'auto' } });
            assert.ok(result.ok, `.${ext}: ${JSON.stringify(result)}`);
            const vectors = await model.embed(result.chunks.map((c) => c.text));
            const chunks = result.chunks.map((c, i) => ({ ...c, embedding: Float32Array.from(vectors[i]!) }));
            await index.putFile('p1', 'vs_formats', { fileId: `file-${ext}`, filename: `fact.${ext}`, attributes: {} }, chunks, model.key);
          }),
        );
        for (const { ext, label, code } of facts) {
          const query = `What is the vault code for ${label}?`;
          const queryEmbeddings = (await model.embed([query])).map((v) => Float32Array.from(v));
          const [hit] = await index.search('p1', { vectorStoreIds: ['vs_formats'], queries: [query], queryEmbeddings, embeddingModel: model.key, maxResults: 5 });
          assert.equal(hit?.fileId, `file-${ext}`, `.${ext}`);
          assert.ok(hit!.text.includes(code), `.${ext}: the passage holds the code`);
        }
      } finally {
        await ingestor.close();
      }
    });

    test('hybrid beats lexical-only on a paraphrase', async () => {
      await put('vs_para', 'fleet', ['Each vehicle needs maintenance at regular intervals.']);
      await put('vs_para', 'parking', ['The car park behind the depot closes at midnight on weekdays and holidays.']);
      for (let i = 0; i < 8; i++) await put('vs_para', `filler-${i}`, fixtureContent(`filler ${i}`, { words: 40 }).before);
      const query = 'How often should my car be serviced?';
      const lexical = await ranks('vs_para', query, 'lexical');
      assert.notEqual(lexical[0], 'fleet', 'the words alone point elsewhere');
      assert.equal((await ranks('vs_para', query, 'hybrid'))[0], 'fleet');
    });

    test('lexical beats vector-only on an exact code; hybrid keeps the lexical answer', async () => {
      const log = fixtureContent('Error code E-7731 means the payment gateway timed out.', { words: 300 });
      await put('vs_codes', 'runbook', [[...log.before, log.fact, ...log.after].join(' ')]);
      for (let i = 0; i < 10; i++) await put('vs_codes', `short-${i}`, [`Error code E-${2000 + i * 111} means the nightly job ${i} failed.`]);
      const query = 'error code E-7731';
      assert.equal((await ranks('vs_codes', query, 'lexical'))[0], 'runbook');
      assert.notEqual((await ranks('vs_codes', query, 'vector'))[0], 'runbook', 'a long passage dilutes one code in its vector');
      assert.equal((await ranks('vs_codes', query, 'hybrid'))[0], 'runbook');
    });
  });
}
