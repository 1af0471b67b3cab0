import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import OpenAI, { toFile } from 'openai';
import { contentTypeOf } from '../../src/domain/file-types.js';
import { hashKey } from '../../src/lib/api-keys.js';
import { createSearchIndex } from '../../src/search/create-search-index.js';
import { ALL_FIXTURE_EXTS, buildFixture, type FixtureKind } from '../support/fixtures/write-fixture.js';
import { createTestDatabase } from '../support/postgres.js';
import { startTestServer, type TestServer } from '../support/server.js';

// Vector stores, their files and file batches through the official SDK, on SQLite and Postgres: every format
// ingested with its hidden fact, truthful statuses and counts, failures that do not stall a store, cancel,
// removal, attributes, bad input and project isolation.

const fixtureFile = (kind: FixtureKind, fact: string, name = 'doc', words?: number) => {
  const { bytes, ext } = buildFixture(kind, fact, words ? { words } : {});
  return toFile(Buffer.from(bytes), `${name}${ext}`);
};
const factFor = (ext: string) => `The locker code for the ${ext} archive is ${ext.toUpperCase()}-4417-KESTREL.`;
// Formats the files endpoint accepts (the ingest room reads a few more that cannot be uploaded).
const UPLOADABLE = ALL_FIXTURE_EXTS.filter((ext) => contentTypeOf(`x.${ext}`));

async function waitForStore(client: OpenAI, id: string) {
  for (;;) {
    const vs = await client.vectorStores.retrieve(id);
    if (vs.status !== 'in_progress') return vs;
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function eventually(check: () => Promise<boolean>, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail('condition not reached in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}

for (const dialect of ['sqlite', 'postgres'] as const) {
  describe(`vector stores on ${dialect}`, () => {
    let server: TestServer;
    let client: OpenAI;
    const upload = async (kind: FixtureKind, fact: string, name?: string) =>
      client.files.create({ file: await fixtureFile(kind, fact, name), purpose: 'assistants' });

    before(async () => {
      const env: Record<string, string> = { ASSISTD_API_KEY: 'sk-main' };
      if (dialect === 'postgres') env.DATABASE_URL = await createTestDatabase();
      server = await startTestServer(env);
      client = server.openai();
    });
    after(() => server.close());

    test('create, retrieve, list, modify, delete', async () => {
      const created = await client.vectorStores.create({ name: 'Support FAQ', metadata: { team: 'a' }, expires_after: { anchor: 'last_active_at', days: 3 } });
      assert.match(created.id, /^vs_[0-9A-Za-z]{24}$/);
      assert.equal(created.object, 'vector_store');
      assert.equal(created.status, 'completed');
      assert.deepEqual(created.file_counts, { in_progress: 0, completed: 0, failed: 0, cancelled: 0, total: 0 });
      assert.equal(created.usage_bytes, 0);
      assert.deepEqual(created.expires_after, { anchor: 'last_active_at', days: 3 });
      assert.equal(created.expires_at, created.last_active_at! + 3 * 86_400);
      assert.deepEqual(await client.vectorStores.retrieve(created.id), created);
      const unnamed = await client.vectorStores.create({});
      assert.equal(unnamed.name, null);
      assert.equal(unnamed.expires_at, null);

      const first = await client.vectorStores.list({ limit: 1 });
      assert.equal(first.data[0]!.id, unnamed.id, 'newest first');
      assert.equal(first.has_more, true);
      const next = await client.vectorStores.list({ limit: 1, after: unnamed.id });
      assert.equal(next.data[0]!.id, created.id);

      const modified = await client.vectorStores.update(created.id, { name: 'Renamed', metadata: { team: 'b' }, expires_after: null });
      assert.equal(modified.name, 'Renamed');
      assert.deepEqual(modified.metadata, { team: 'b' });
      assert.equal(modified.expires_after, undefined);
      assert.equal(modified.expires_at, null);

      assert.deepEqual(await client.vectorStores.delete(created.id), { id: created.id, object: 'vector_store.deleted', deleted: true });
      await assert.rejects(client.vectorStores.retrieve(created.id), (e: any) => e.status === 404);
      await assert.rejects(client.vectorStores.delete(created.id), (e: any) => e.status === 404);
    });

    test('fileBatches.uploadAndPoll ingests every format; counts, usage and content are truthful', async () => {
      const vs = await client.vectorStores.create({ name: 'formats' });
      const files = await Promise.all(UPLOADABLE.map((ext) => fixtureFile(ext, factFor(ext), `doc-${ext}`)));
      const batch = await client.vectorStores.fileBatches.uploadAndPoll(vs.id, { files });
      assert.match(batch.id, /^vsfb_/);
      assert.equal(batch.object, 'vector_store.files_batch');
      assert.equal(batch.status, 'completed');
      assert.deepEqual(batch.file_counts, { in_progress: 0, completed: UPLOADABLE.length, failed: 0, cancelled: 0, total: UPLOADABLE.length });
      const store = await client.vectorStores.retrieve(vs.id);
      assert.equal(store.status, 'completed');
      assert.equal(store.file_counts.completed, UPLOADABLE.length);
      assert.ok(store.usage_bytes > 0);

      const listed = await client.vectorStores.fileBatches.listFiles(batch.id, { vector_store_id: vs.id, limit: 100 });
      assert.equal(listed.data.length, UPLOADABLE.length);
      assert.equal(listed.data.reduce((sum, f) => sum + f.usage_bytes, 0), store.usage_bytes);
      for (const file of listed.data) {
        assert.equal(file.status, 'completed');
        assert.deepEqual(file.chunking_strategy, { type: 'static', static: { max_chunk_size_tokens: 800, chunk_overlap_tokens: 400 } });
        const ext = (await client.files.retrieve(file.id)).filename.split('.').pop()!;
        const content = await client.vectorStores.files.content(file.id, { vector_store_id: vs.id });
        assert.ok(content.data.map((p) => p.text).join(' ').includes(factFor(ext)), `.${ext} content holds its fact`);
      }
    });

    test('unsupported and corrupt files fail with the right codes and do not stall the store', async () => {
      const vs = await client.vectorStores.create({ name: 'mixed' });
      const cases = [
        { file: await upload('txt', 'A good file: G-1.'), status: 'completed', code: null },
        { file: await client.files.create({ file: await toFile(randomBytes(2048), 'photo.png'), purpose: 'assistants' }), status: 'failed', code: 'unsupported_file' },
        { file: await upload('pdf-garbage', 'x'), status: 'failed', code: 'invalid_file' },
        { file: await upload('docx-truncated', 'x'), status: 'failed', code: 'invalid_file' },
        { file: await upload('txt-binary', 'x'), status: 'failed', code: 'invalid_file' },
      ];
      for (const c of cases) {
        const created = await client.vectorStores.files.create(vs.id, { file_id: c.file.id });
        assert.equal(created.status, 'in_progress');
        assert.equal(created.object, 'vector_store.file');
      }
      for (const c of cases) {
        const done = await client.vectorStores.files.poll(vs.id, c.file.id);
        assert.equal(done.status, c.status, c.file.filename);
        assert.equal(done.last_error?.code ?? null, c.code, c.file.filename);
        if (c.code) assert.ok(done.last_error!.message.length > 0);
      }
      const store = await client.vectorStores.retrieve(vs.id);
      assert.equal(store.status, 'completed');
      assert.deepEqual(store.file_counts, { in_progress: 0, completed: 1, failed: 4, cancelled: 0, total: 5 });
      assert.equal((await client.vectorStores.files.list(vs.id, { filter: 'failed' })).data.length, 4);
      assert.equal((await client.vectorStores.files.list(vs.id, { filter: 'completed' })).data[0]!.id, cases[0]!.file.id);
      const page = await client.vectorStores.files.list(vs.id, { limit: 2, order: 'asc' });
      assert.deepEqual(page.data.map((f) => f.id), [cases[0]!.file.id, cases[1]!.file.id]);
      assert.equal(page.has_more, true);
      const rest = await client.vectorStores.files.list(vs.id, { limit: 10, order: 'asc', after: cases[1]!.file.id });
      assert.deepEqual(rest.data.map((f) => f.id), cases.slice(2).map((c) => c.file.id));
    });

    test('batches: per-file attributes and chunking; cancel stops what is still in progress', async () => {
      const vs = await client.vectorStores.create({ name: 'batches' });
      const [a, b] = [await upload('md', 'Alpha fact A-1.'), await upload('txt', 'Beta fact B-2.')];
      const batch = await client.vectorStores.fileBatches.createAndPoll(vs.id, {
        files: [
          { file_id: a.id, attributes: { region: 'eu', year: 2024, public: true }, chunking_strategy: { type: 'static', static: { max_chunk_size_tokens: 200, chunk_overlap_tokens: 50 } } },
          { file_id: b.id },
        ],
        attributes: { region: 'us' },
      } as any);
      assert.equal(batch.status, 'completed');
      const fa = await client.vectorStores.files.retrieve(a.id, { vector_store_id: vs.id });
      assert.deepEqual(fa.attributes, { region: 'eu', year: 2024, public: true });
      assert.deepEqual(fa.chunking_strategy, { type: 'static', static: { max_chunk_size_tokens: 200, chunk_overlap_tokens: 50 } });
      assert.deepEqual((await client.vectorStores.files.retrieve(b.id, { vector_store_id: vs.id })).attributes, { region: 'us' });
      await assert.rejects(client.vectorStores.fileBatches.cancel(batch.id, { vector_store_id: vs.id }), (e: any) => e.status === 400);

      const big = await Promise.all(Array.from({ length: 24 }, (_, i) => upload('txt', `Bulk fact ${i}.`, `bulk-${i}`)));
      const running = await client.vectorStores.fileBatches.create(vs.id, { file_ids: big.map((f) => f.id) });
      assert.equal(running.status, 'in_progress');
      const cancelled = await client.vectorStores.fileBatches.cancel(running.id, { vector_store_id: vs.id });
      assert.equal(cancelled.status, 'cancelled');
      assert.ok(cancelled.file_counts.cancelled > 0, 'some files were still waiting');
      assert.equal(cancelled.file_counts.in_progress, 0);
      await waitForStore(client, vs.id);
      const after = await client.vectorStores.fileBatches.retrieve(running.id, { vector_store_id: vs.id });
      assert.equal(after.status, 'cancelled');
      assert.equal(after.file_counts.cancelled + after.file_counts.completed, 24);
      const stopped = await client.vectorStores.fileBatches.listFiles(running.id, { vector_store_id: vs.id, filter: 'cancelled', limit: 100 });
      assert.equal(stopped.data.length, after.file_counts.cancelled);
      // A job that was writing chunks when the cancel came drops them as soon as its write returns.
      const index = createSearchIndex(server.store);
      await eventually(async () => (await Promise.all(stopped.data.map((f) => index.fileChunks('default', vs.id, f.id)))).every((c) => c.length === 0));
    });

    test('attributes update and removal from a store (the file itself stays)', async () => {
      const [a, b] = [await upload('txt', 'Kept fact K-1.'), await upload('txt', 'Removed fact R-2.')];
      const vs = await client.vectorStores.create({ name: 'removal', file_ids: [a.id, b.id] });
      assert.equal(vs.status, 'in_progress');
      assert.equal(vs.file_counts.in_progress, 2);
      await waitForStore(client, vs.id);
      const updated = await client.vectorStores.files.update(a.id, { vector_store_id: vs.id, attributes: { author: 'kim', pages: 3 } });
      assert.deepEqual(updated.attributes, { author: 'kim', pages: 3 });
      const removed = await client.vectorStores.files.delete(b.id, { vector_store_id: vs.id });
      assert.deepEqual(removed, { id: b.id, object: 'vector_store.file.deleted', deleted: true });
      await assert.rejects(client.vectorStores.files.retrieve(b.id, { vector_store_id: vs.id }), (e: any) => e.status === 404);
      await assert.rejects(client.vectorStores.files.content(b.id, { vector_store_id: vs.id }), (e: any) => e.status === 404);
      assert.equal((await client.files.retrieve(b.id)).id, b.id);
      const store = await client.vectorStores.retrieve(vs.id);
      assert.equal(store.file_counts.total, 1);
      const index = createSearchIndex(server.store);
      assert.deepEqual(await index.fileChunks('default', vs.id, b.id), []);
      assert.ok((await index.fileChunks('default', vs.id, a.id)).join(' ').includes('K-1'));
      assert.equal(store.usage_bytes, (await client.vectorStores.files.retrieve(a.id, { vector_store_id: vs.id })).usage_bytes);
      await client.vectorStores.delete(vs.id);
      assert.deepEqual(await index.fileChunks('default', vs.id, a.id), [], 'deleting the store drops its chunks');
    });

    test('deleting a file takes it out of every store that held it: not listed, searched or counted', async () => {
      const [kept, gone] = [await upload('txt', 'The harbour pilot code is KEPT-5150.', 'kept'), await upload('txt', 'The harbour pilot code is GONE-9931.', 'gone')];
      const stores = [await client.vectorStores.create({ name: 'first' }), await client.vectorStores.create({ name: 'second' })];
      for (const vs of stores) {
        for (const file of [kept, gone]) assert.equal((await client.vectorStores.files.createAndPoll(vs.id, { file_id: file.id })).status, 'completed');
      }
      const found = async (id: string) => (await client.vectorStores.search(id, { query: 'harbour pilot code' })).data.map((hit) => hit.file_id).sort();
      assert.deepEqual(await found(stores[0]!.id), [kept.id, gone.id].sort(), 'both are found before the delete');

      assert.deepEqual(await client.files.delete(gone.id), { id: gone.id, object: 'file', deleted: true });
      for (const vs of stores) {
        assert.deepEqual((await client.vectorStores.files.list(vs.id)).data.map((f) => f.id), [kept.id]);
        await assert.rejects(client.vectorStores.files.retrieve(gone.id, { vector_store_id: vs.id }), (e: any) => e.status === 404);
        assert.deepEqual(await found(vs.id), [kept.id]);
        const after = await client.vectorStores.retrieve(vs.id);
        assert.deepEqual(after.file_counts, { in_progress: 0, completed: 1, failed: 0, cancelled: 0, total: 1 });
        assert.equal(after.usage_bytes, (await client.vectorStores.files.retrieve(kept.id, { vector_store_id: vs.id })).usage_bytes);
      }
    });

    test('bad input is a 400 naming the param, with the hosted chunking messages; unknown ids are 404', async () => {
      const bad = async (p: Promise<unknown>, param: string, message?: RegExp) =>
        assert.rejects(p, (e: any) => e.status === 400 && e.param === param && (!message || message.test(e.message)));
      const file = await upload('txt', 'x');
      await bad(
        client.vectorStores.create({ file_ids: [file.id], chunking_strategy: { type: 'static', static: { max_chunk_size_tokens: 400, chunk_overlap_tokens: 300 } } }),
        'chunking_strategy.static.chunk_overlap_tokens',
        /must not exceed half of max_chunk_size_tokens/,
      );
      await bad(client.vectorStores.create({ chunking_strategy: { type: 'static', static: { max_chunk_size_tokens: 50, chunk_overlap_tokens: 0 } } }), 'chunking_strategy.static.max_chunk_size_tokens', /Expected a value >= 100/);
      await bad(client.vectorStores.create({ chunking_strategy: { type: 'fancy' } as any }), 'chunking_strategy.type');
      await bad(client.vectorStores.create({ expires_after: { anchor: 'last_active_at', days: 0 } }), 'expires_after.days');
      await bad(client.vectorStores.create({ file_ids: ['file-missing'] }), 'file_ids[0]');
      const vs = await client.vectorStores.create({});
      await bad(client.vectorStores.files.create(vs.id, { file_id: 'file-missing' }), 'file_id');
      const tooMany = Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, i]));
      await bad(client.vectorStores.files.create(vs.id, { file_id: file.id, attributes: tooMany }), 'attributes');
      await bad(client.vectorStores.fileBatches.create(vs.id, {}), 'file_ids');
      await bad(client.vectorStores.files.list(vs.id, { filter: 'done' as any }), 'filter');
      await bad(client.vectorStores.fileBatches.create(vs.id, { files: [{ file_id: file.id, chunking_strategy: { type: 'static' } as any }] }), 'files[0].chunking_strategy.static');

      const missing = (p: Promise<unknown>) => assert.rejects(p, (e: any) => e.status === 404 && e.error?.type === 'invalid_request_error');
      await missing(client.vectorStores.retrieve('vs_missing'));
      await missing(client.vectorStores.files.list('vs_missing'));
      await missing(client.vectorStores.files.retrieve(file.id, { vector_store_id: vs.id }));
      await missing(client.vectorStores.fileBatches.retrieve('vsfb_missing', { vector_store_id: vs.id }));
      await missing(client.vectorStores.fileBatches.cancel('vsfb_missing', { vector_store_id: vs.id }));
    });

    test('another project sees none of it', async () => {
      await server.store.keys.insert({ id: `key_other_${dialect}`, project: 'other', name: 'o', hint: 'sk-o...', created_at: 1, revoked_at: null, hash: hashKey('sk-other') });
      const other = server.openai({ apiKey: 'sk-other' });
      const vs = await client.vectorStores.create({ name: 'mine', file_ids: [(await upload('txt', 'Private P-1.')).id] });
      await assert.rejects(other.vectorStores.retrieve(vs.id), (e: any) => e.status === 404);
      await assert.rejects(other.vectorStores.files.list(vs.id), (e: any) => e.status === 404);
      await assert.rejects(other.vectorStores.delete(vs.id), (e: any) => e.status === 404);
      assert.equal((await other.vectorStores.list()).data.length, 0);
      await assert.rejects(other.beta.assistants.create({ model: 'gpt-4o', tool_resources: { file_search: { vector_store_ids: [vs.id] } } }), (e: any) => e.status === 400);
    });
  });
}
