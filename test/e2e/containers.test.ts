import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import OpenAI, { toFile } from 'openai';
import { createTestDatabase } from '../support/postgres.js';
import { startTestServer, type TestServer } from '../support/server.js';

// The Containers API through the official SDK: containers and their files, byte-exact content, pagination,
// expiry after idle minutes (on a clock the test moves), on SQLite and Postgres.

async function bytesOf(response: Response): Promise<Buffer> {
  return Buffer.from(await response.arrayBuffer());
}

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`containers (${db})`, () => {
    let server: TestServer;
    let client: OpenAI;
    let now = Date.UTC(2026, 0, 1);

    before(async () => {
      server = await startTestServer(db === 'postgres' ? { DATABASE_URL: await createTestDatabase() } : {}, undefined, { clock: () => now });
      client = server.openai();
    });
    after(() => server.close());

    test('create, retrieve, list by name with cursor pages, delete', async () => {
      const created = await client.containers.create({ name: 'analysis', memory_limit: '4g', expires_after: { anchor: 'last_active_at', minutes: 5 } });
      assert.match(created.id, /^cntr_/);
      assert.deepEqual(created, {
        id: created.id,
        object: 'container',
        created_at: Math.floor(now / 1000),
        name: 'analysis',
        status: 'running',
        expires_after: { anchor: 'last_active_at', minutes: 5 },
        last_active_at: Math.floor(now / 1000),
        memory_limit: '4g',
        network_policy: { type: 'disabled' },
      });
      assert.deepEqual(await client.containers.retrieve(created.id), created);
      const plain = await client.containers.create({ name: 'plain' });
      assert.equal(plain.memory_limit, '1g');
      assert.deepEqual(plain.expires_after, { anchor: 'last_active_at', minutes: 20 });

      const ids: string[] = [];
      for (let i = 0; i < 3; i++) ids.push((await client.containers.create({ name: 'paged' })).id);
      const first = await client.containers.list({ name: 'paged', limit: 2, order: 'asc' });
      assert.deepEqual(first.data.map((c) => c.id), ids.slice(0, 2));
      assert.equal(first.has_more, true);
      const all = [];
      for await (const c of client.containers.list({ name: 'paged', limit: 2, order: 'asc' })) all.push(c.id);
      assert.deepEqual(all, ids);

      await client.containers.delete(created.id);
      await assert.rejects(client.containers.retrieve(created.id), (err: unknown) => err instanceof OpenAI.NotFoundError);
      await assert.rejects(client.containers.delete(created.id), (err: unknown) => err instanceof OpenAI.NotFoundError);
      await assert.rejects(client.containers.create({ name: 'x', memory_limit: '2g' as '1g' }), (err: unknown) => err instanceof OpenAI.BadRequestError);
      await assert.rejects(client.containers.create({ name: 'x', file_ids: ['file-nope'] }), (err: unknown) => err instanceof OpenAI.NotFoundError);
    });

    test('files: upload and copy by id, list, retrieve, byte-exact content, delete', async () => {
      const bytes = randomBytes(200_000);
      const uploaded = await client.files.create({ file: await toFile(bytes, 'blob.txt'), purpose: 'assistants' });
      const container = await client.containers.create({ name: 'files', file_ids: [uploaded.id] });
      const copied = (await client.containers.files.list(container.id)).data;
      assert.equal(copied.length, 1);
      assert.deepEqual(copied[0], { id: copied[0]!.id, object: 'container.file', container_id: container.id, created_at: Math.floor(now / 1000), bytes: bytes.length, path: '/mnt/data/blob.txt', source: 'user' });
      assert.match(copied[0]!.id, /^cfile_/);

      const csv = Buffer.from('a,b\n1,2\n\u00e9,\u00ff\n');
      const sent = await client.containers.files.create(container.id, { file: await toFile(csv, 'data.csv') });
      assert.equal(sent.path, '/mnt/data/data.csv');
      assert.equal(sent.bytes, csv.length);
      const byId = await client.containers.files.create(container.id, { file_id: uploaded.id });
      assert.equal(byId.path, '/mnt/data/blob.txt');
      // The same path again replaces the record it had.
      const listed = await client.containers.files.list(container.id, { order: 'asc' });
      assert.deepEqual(listed.data.map((f) => f.id), [sent.id, byId.id]);

      assert.deepEqual(await client.containers.files.retrieve(sent.id, { container_id: container.id }), sent);
      assert.ok((await bytesOf(await client.containers.files.content.retrieve(sent.id, { container_id: container.id }))).equals(csv));
      assert.ok((await bytesOf(await client.containers.files.content.retrieve(byId.id, { container_id: container.id }))).equals(bytes));
      // The container keeps its copy when the file it came from is deleted.
      await client.files.delete(uploaded.id);
      assert.ok((await bytesOf(await client.containers.files.content.retrieve(byId.id, { container_id: container.id }))).equals(bytes));

      await client.containers.files.delete(sent.id, { container_id: container.id });
      await assert.rejects(client.containers.files.retrieve(sent.id, { container_id: container.id }), (err: unknown) => err instanceof OpenAI.NotFoundError);
      const other = await client.containers.create({ name: 'other' });
      await assert.rejects(client.containers.files.retrieve(byId.id, { container_id: other.id }), (err: unknown) => err instanceof OpenAI.NotFoundError);
      await assert.rejects(client.containers.files.create(container.id, {}), (err: unknown) => err instanceof OpenAI.BadRequestError);

      await client.containers.delete(container.id);
      await assert.rejects(client.containers.files.list(container.id), (err: unknown) => err instanceof OpenAI.NotFoundError);
    });

    test('a container expires after its idle minutes; activity moves the anchor', async () => {
      const container = await client.containers.create({ name: 'short', expires_after: { anchor: 'last_active_at', minutes: 2 } });
      now += 90_000;
      await client.containers.files.create(container.id, { file: await toFile(Buffer.from('x'), 'x.txt') });
      const touched = await client.containers.retrieve(container.id);
      assert.equal(touched.status, 'running');
      assert.equal(touched.last_active_at, container.last_active_at! + 90);
      now += 100_000;
      assert.equal((await client.containers.retrieve(container.id)).status, 'running');
      now += 30_000;
      const expired = await client.containers.retrieve(container.id);
      assert.equal(expired.status, 'expired');
      assert.equal((await client.containers.list({ name: 'short' })).data[0]!.status, 'expired');
      await assert.rejects(client.containers.files.create(container.id, { file: await toFile(Buffer.from('y'), 'y.txt') }), (err: unknown) => err instanceof OpenAI.BadRequestError && /expired/.test(err.message));
      // Its files can still be read back.
      assert.equal((await client.containers.files.list(container.id)).data.length, 1);
    });

    test('the Azure-style prefix serves the same containers', async () => {
      const container = await client.containers.create({ name: 'azure' });
      const azure = new OpenAI({ baseURL: `${server.url}/openai/v1`, apiKey: 'none', maxRetries: 0 });
      assert.equal((await azure.containers.retrieve(container.id)).id, container.id);
    });
  });
}

describe('container files across a restart', () => {
  test("the start-up sweep of leftover blobs keeps container files' bytes", async () => {
    const env = { ASSISTD_BLOB_SWEEP_GRACE_SECONDS: '0' };
    const first = await startTestServer(env);
    const client = first.openai();
    const container = await client.containers.create({ name: 'kept' });
    const bytes = randomBytes(1000);
    const file = await client.containers.files.create(container.id, { file: await toFile(bytes, 'kept.bin') });
    await first.stop();
    const second = await startTestServer(env, first.dataDir);
    try {
      // The sweep runs in the background at start: give it time to finish before reading.
      await new Promise((resolve) => setTimeout(resolve, 500));
      const again = second.openai();
      assert.ok((await bytesOf(await again.containers.files.content.retrieve(file.id, { container_id: container.id }))).equals(bytes));
    } finally {
      await second.close();
      rmSync(first.dataDir, { recursive: true, force: true });
    }
  });
});
