import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import OpenAI, { toFile } from 'openai';
import { buildFixture, type FixtureKind } from '../support/fixtures/write-fixture.js';
import { createTestDatabase } from '../support/postgres.js';
import { startTestServer, type TestServer } from '../support/server.js';

// Vector stores as assistants and threads use them, through the SDK: references and the inline helper, thread
// stores made from message attachments, v1 retrieval over file_ids, expiry on an injected clock, and ingestion
// that survives a restart.

const DAY_MS = 86_400_000;

async function uploader(client: OpenAI) {
  return async (kind: FixtureKind, fact: string, words?: number) => {
    const { bytes, ext } = buildFixture(kind, fact, words ? { words } : {});
    return client.files.create({ file: await toFile(Buffer.from(bytes), `doc${ext}`), purpose: 'assistants' });
  };
}

async function settled(client: OpenAI, id: string) {
  for (;;) {
    const vs = await client.vectorStores.retrieve(id);
    if (vs.status !== 'in_progress') return vs;
    await new Promise((r) => setTimeout(r, 100));
  }
}

for (const dialect of ['sqlite', 'postgres'] as const) {
  describe(`vector stores of assistants and threads on ${dialect}`, () => {
    let server: TestServer;
    let client: OpenAI;
    let upload: Awaited<ReturnType<typeof uploader>>;
    let offsetMs = 0;
    before(async () => {
      const env: Record<string, string> = dialect === 'postgres' ? { DATABASE_URL: await createTestDatabase() } : {};
      server = await startTestServer(env, undefined, { clock: () => Date.now() + offsetMs });
      client = server.openai();
      upload = await uploader(client);
    });
    after(() => server.close());

    test('message attachments for file_search create the thread store, then add to it', async () => {
      const [a, b, c] = [await upload('txt', 'Attached A-1.'), await upload('md', 'Attached B-2.'), await upload('txt', 'Code only C-3.')];
      const thread = await client.beta.threads.create();
      await client.beta.threads.messages.create(thread.id, { role: 'user', content: 'read this', attachments: [{ file_id: a.id, tools: [{ type: 'file_search' }] }] });
      const withStore = await client.beta.threads.retrieve(thread.id);
      const [storeId] = withStore.tool_resources!.file_search!.vector_store_ids!;
      assert.match(storeId!, /^vs_/);
      const vs = await client.vectorStores.retrieve(storeId!);
      assert.deepEqual(vs.expires_after, { anchor: 'last_active_at', days: 7 });
      assert.equal(vs.expires_at, vs.last_active_at! + 7 * 86_400);

      await client.beta.threads.messages.create(thread.id, {
        role: 'user',
        content: 'and these',
        attachments: [
          { file_id: b.id, tools: [{ type: 'file_search' }, { type: 'code_interpreter' }] },
          { file_id: c.id, tools: [{ type: 'code_interpreter' }] },
        ],
      });
      assert.deepEqual((await client.beta.threads.retrieve(thread.id)).tool_resources!.file_search!.vector_store_ids, [storeId]);
      const done = await settled(client, storeId!);
      assert.deepEqual(done.file_counts, { in_progress: 0, completed: 2, failed: 0, cancelled: 0, total: 2 });
      const ids = (await client.vectorStores.files.list(storeId!)).data.map((f) => f.id).sort();
      assert.deepEqual(ids, [a.id, b.id].sort());

      const created = await client.beta.threads.create({ messages: [{ role: 'user', content: 'hi', attachments: [{ file_id: c.id, tools: [{ type: 'file_search' }] }] }] });
      const createdStore = created.tool_resources?.file_search?.vector_store_ids?.[0];
      assert.ok(createdStore && createdStore !== storeId, 'threads.create with attachments returns the thread with its new store');
    });

    test('assistants and threads: vector_store_ids must exist; the inline helper creates a store; one store at most', async () => {
      const file = await upload('txt', 'Helper fact H-7.');
      const vs = await client.vectorStores.create({ name: 'shared' });
      const assistant = await client.beta.assistants.create({ model: 'gpt-4o', tools: [{ type: 'file_search' }], tool_resources: { file_search: { vector_store_ids: [vs.id] } } });
      assert.deepEqual(assistant.tool_resources?.file_search?.vector_store_ids, [vs.id]);
      await assert.rejects(
        client.beta.assistants.create({ model: 'gpt-4o', tool_resources: { file_search: { vector_store_ids: ['vs_missing'] } } }),
        (e: any) => e.status === 400 && e.param === 'tool_resources.file_search.vector_store_ids[0]',
      );
      await assert.rejects(
        client.beta.assistants.create({ model: 'gpt-4o', tool_resources: { file_search: { vector_store_ids: [vs.id, vs.id] } } }),
        (e: any) => e.status === 400 && String(e.param).startsWith('tool_resources.file_search.vector_store_ids'),
      );
      await assert.rejects(
        client.beta.threads.create({ tool_resources: { file_search: { vector_store_ids: [vs.id], vector_stores: [{ file_ids: [file.id] }] } } }),
        (e: any) => e.status === 400 && e.param === 'tool_resources.file_search',
      );
      await assert.rejects(
        client.beta.threads.create({ tool_resources: { file_search: { vector_stores: [{ file_ids: [file.id], chunking_strategy: { type: 'static', static: { max_chunk_size_tokens: 100, chunk_overlap_tokens: 60 } } }] } } }),
        (e: any) => e.status === 400 && e.param === 'tool_resources.file_search.vector_stores[0].chunking_strategy.static.chunk_overlap_tokens',
      );

      const thread = await client.beta.threads.create({
        tool_resources: {
          file_search: { vector_stores: [{ file_ids: [file.id], chunking_strategy: { type: 'static', static: { max_chunk_size_tokens: 300, chunk_overlap_tokens: 100 } }, metadata: { made: 'inline' } }] },
        },
      });
      const [inline] = thread.tool_resources!.file_search!.vector_store_ids!;
      const store = await settled(client, inline!);
      assert.deepEqual(store.metadata, { made: 'inline' });
      assert.equal(store.file_counts.completed, 1);
      const vsFile = await client.vectorStores.files.retrieve(file.id, { vector_store_id: inline! });
      assert.deepEqual(vsFile.chunking_strategy, { type: 'static', static: { max_chunk_size_tokens: 300, chunk_overlap_tokens: 100 } });
      const updated = await client.beta.threads.update(thread.id, { tool_resources: { file_search: { vector_store_ids: [vs.id] } } });
      assert.deepEqual(updated.tool_resources?.file_search?.vector_store_ids, [vs.id]);
    });

    test('v1: a retrieval assistant with file_ids searches them through a store made behind the scenes', async () => {
      // The SDK's beta methods send `assistants=v2` themselves; a per-request header selects v1, as old apps did.
      const v1 = server.openai({ v1: true });
      const V1 = { headers: { 'OpenAI-Beta': 'assistants=v1' } };
      const [a, b] = [await upload('txt', 'Retrieval fact V-1.'), await upload('txt', 'Retrieval fact V-2.')];
      const created = (await v1.beta.assistants.create({ model: 'gpt-4o', tools: [{ type: 'retrieval' }], file_ids: [a.id] } as any, V1)) as any;
      assert.deepEqual(created.tools, [{ type: 'retrieval' }]);
      assert.deepEqual(created.file_ids, [a.id]);
      assert.equal(created.tool_resources, undefined, 'v1 shape unchanged');
      const v2 = await client.beta.assistants.retrieve(created.id);
      const [storeId] = v2.tool_resources!.file_search!.vector_store_ids!;
      assert.equal((await settled(client, storeId!)).file_counts.completed, 1);

      await v1.post(`/assistants/${created.id}/files`, { body: { file_id: b.id } });
      assert.equal((await settled(client, storeId!)).file_counts.completed, 2);
      await v1.delete(`/assistants/${created.id}/files/${a.id}`);
      assert.deepEqual((await client.vectorStores.files.list(storeId!)).data.map((f) => f.id), [b.id]);
      const modified = (await v1.beta.assistants.update(created.id, { file_ids: [a.id, b.id] } as any, V1)) as any;
      assert.deepEqual(modified.file_ids, [a.id, b.id]);
      assert.equal((await settled(client, storeId!)).file_counts.total, 2);
      assert.deepEqual((await client.beta.assistants.retrieve(created.id)).tool_resources?.file_search?.vector_store_ids, [storeId]);
    });

    test('expiry: past expires_at a store reads as expired and takes no more files', async () => {
      const file = await upload('txt', 'Short-lived S-5.');
      const vs = await client.vectorStores.create({ name: 'brief', file_ids: [file.id], expires_after: { anchor: 'last_active_at', days: 1 } });
      await settled(client, vs.id);
      offsetMs += DAY_MS + 60_000;
      try {
        const expired = await client.vectorStores.retrieve(vs.id);
        assert.equal(expired.status, 'expired');
        assert.equal((await client.vectorStores.list()).data.find((s) => s.id === vs.id)?.status, 'expired');
        await assert.rejects(client.vectorStores.files.create(vs.id, { file_id: file.id }), (e: any) => e.status === 400);
        await assert.rejects(client.vectorStores.fileBatches.create(vs.id, { file_ids: [file.id] }), (e: any) => e.status === 400);
        assert.deepEqual(await client.vectorStores.delete(vs.id), { id: vs.id, object: 'vector_store.deleted', deleted: true });
      } finally {
        offsetMs = 0;
      }
    });
  });
}

test('files left in progress when the server stops are finished after it starts again', async () => {
  const first = await startTestServer();
  const dataDir = first.dataDir;
  const client = first.openai();
  const upload = await uploader(client);
  const files = await Promise.all(Array.from({ length: 16 }, (_, i) => upload('txt', `Restart fact ${i}.`, 20_000)));
  const vs = await client.vectorStores.create({ name: 'restart', file_ids: files.map((f) => f.id) });
  await first.stop();
  const second = await startTestServer({}, dataDir);
  try {
    const after = second.openai();
    const before = await after.vectorStores.retrieve(vs.id);
    assert.ok(before.file_counts.in_progress > 0, 'the stop interrupted ingestion');
    const done = await settled(after, vs.id);
    assert.deepEqual(done.file_counts, { in_progress: 0, completed: 16, failed: 0, cancelled: 0, total: 16 });
  } finally {
    await second.close();
  }
});
