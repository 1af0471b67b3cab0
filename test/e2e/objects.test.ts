import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import OpenAI, { toFile } from 'openai';
import { createTestDatabase } from '../support/postgres.js';
import { startTestServer, type TestServer } from '../support/server.js';

// CRUD of every object through the official SDK, with the OpenAI and the AzureOpenAI client, on SQLite and Postgres.

const variants = [
  { db: 'sqlite', client: 'openai' },
  { db: 'sqlite', client: 'azure' },
  { db: 'postgres', client: 'openai' },
] as const;

for (const variant of variants) {
  describe(`objects via ${variant.client} on ${variant.db}`, () => {
    let server: TestServer;
    let client: OpenAI;
    before(async () => {
      const env: Record<string, string> = variant.db === 'postgres' ? { DATABASE_URL: await createTestDatabase() } : {};
      server = await startTestServer(env);
      client = variant.client === 'azure' ? server.azure() : server.openai();
    });
    after(() => server.close());

    test('assistants: create, retrieve, modify, list, delete with every v2 field', async () => {
      const created = await client.beta.assistants.create({
        model: 'gpt-4o',
        name: 'Data Visualization',
        description: 'charts',
        instructions: 'You make charts.',
        tools: [
          { type: 'code_interpreter' },
          { type: 'file_search', file_search: { max_num_results: 5 } },
          { type: 'function', function: { name: 'get_weather', description: 'w', parameters: { type: 'object', properties: { city: { type: 'string' } } } } },
        ],
        metadata: { team: 'a' },
        temperature: 0.5,
        top_p: 0.9,
        response_format: { type: 'json_object' },
      });
      assert.match(created.id, /^asst_[0-9A-Za-z]{24}$/);
      assert.equal(created.object, 'assistant');
      assert.equal(typeof created.created_at, 'number');
      assert.ok(Math.abs(created.created_at - Date.now() / 1000) < 60);
      assert.equal(created.temperature, 0.5);
      assert.deepEqual(created.response_format, { type: 'json_object' });
      assert.deepEqual(await client.beta.assistants.retrieve(created.id), created);

      const modified = await client.beta.assistants.update(created.id, { name: 'Renamed', metadata: { team: 'b' }, temperature: 0 });
      assert.equal(modified.name, 'Renamed');
      assert.equal(modified.temperature, 0, 'zero is kept, not replaced by a default');
      assert.equal(modified.instructions, 'You make charts.');
      const cleared = await client.beta.assistants.update(created.id, { description: null });
      assert.equal(cleared.description, null);

      const deleted = await client.beta.assistants.delete(created.id);
      assert.deepEqual(deleted, { id: created.id, object: 'assistant.deleted', deleted: true });
      await assert.rejects(client.beta.assistants.retrieve(created.id), (e: any) => e.status === 404);
    });

    test('threads: create with messages, retrieve, modify, delete removes messages', async () => {
      const thread = await client.beta.threads.create({
        messages: [
          { role: 'user', content: 'first' },
          { role: 'assistant', content: [{ type: 'text', text: 'second' }] },
        ],
        metadata: { k: 'v' },
      });
      assert.match(thread.id, /^thread_/);
      assert.deepEqual(thread.metadata, { k: 'v' });
      const messages = await client.beta.threads.messages.list(thread.id, { order: 'asc' });
      assert.deepEqual(messages.data.map((m) => (m.content[0] as any).text.value), ['first', 'second']);
      assert.equal(messages.data[0]!.status, 'completed');
      const updated = await client.beta.threads.update(thread.id, { metadata: { k: 'w' } });
      assert.deepEqual(updated.metadata, { k: 'w' });
      assert.deepEqual(await client.beta.threads.retrieve(thread.id), updated);
      const messageId = messages.data[0]!.id;
      assert.deepEqual(await client.beta.threads.delete(thread.id), {
        id: thread.id,
        object: 'thread.deleted',
        deleted: true,
      });
      await assert.rejects(client.beta.threads.messages.retrieve(messageId, { thread_id: thread.id }), (e: any) => e.status === 404);
    });

    test('messages: content parts, attachments, modify, delete, run_id filter', async () => {
      const file = await client.files.create({ file: await toFile(Buffer.from('a,b\n1,2\n'), 'data.csv'), purpose: 'assistants' });
      const image = await client.files.create({ file: await toFile(Buffer.from('GIF89a'), 'pic.gif'), purpose: 'vision' });
      const thread = await client.beta.threads.create();
      const message = await client.beta.threads.messages.create(thread.id, {
        role: 'user',
        content: [
          { type: 'text', text: 'look' },
          { type: 'image_file', image_file: { file_id: image.id, detail: 'low' } },
          { type: 'image_url', image_url: { url: 'https://example.com/a.png' } },
        ],
        attachments: [{ file_id: file.id, tools: [{ type: 'code_interpreter' }] }],
        metadata: { a: '1' },
      });
      assert.equal(message.object, 'thread.message');
      assert.equal(message.thread_id, thread.id);
      assert.equal(message.content.length, 3);
      assert.deepEqual(message.attachments, [{ file_id: file.id, tools: [{ type: 'code_interpreter' }] }]);
      const modified = await client.beta.threads.messages.update(message.id, { thread_id: thread.id, metadata: { a: '2' } });
      assert.deepEqual(modified.metadata, { a: '2' });
      assert.deepEqual(await client.beta.threads.messages.retrieve(message.id, { thread_id: thread.id }), modified);
      const none = await client.beta.threads.messages.list(thread.id, { run_id: 'run_doesnotexist' });
      assert.equal(none.data.length, 0);
      const deleted = await client.beta.threads.messages.delete(message.id, { thread_id: thread.id });
      assert.deepEqual(deleted, { id: message.id, object: 'thread.message.deleted', deleted: true });
      assert.equal((await client.beta.threads.messages.list(thread.id)).data.length, 0);
    });

    test('pagination: auto-paging over several pages, after and before', async () => {
      const thread = await client.beta.threads.create();
      const ids: string[] = [];
      for (let i = 0; i < 25; i++) ids.push((await client.beta.threads.messages.create(thread.id, { role: 'user', content: `m${i}` })).id);
      const seen: string[] = [];
      for await (const m of client.beta.threads.messages.list(thread.id, { limit: 7, order: 'asc' })) seen.push(m.id);
      assert.deepEqual(seen, ids);
      const desc: string[] = [];
      for await (const m of client.beta.threads.messages.list(thread.id, { limit: 10 })) desc.push(m.id);
      assert.deepEqual(desc, [...ids].reverse());
      const page = await client.beta.threads.messages.list(thread.id, { limit: 5, order: 'asc', after: ids[9] });
      assert.deepEqual(page.data.map((m) => m.id), ids.slice(10, 15));
      assert.equal(page.has_more, true);
      const before = await client.beta.threads.messages.list(thread.id, { limit: 3, order: 'asc', before: ids[9] });
      assert.deepEqual(before.data.map((m) => m.id), ids.slice(6, 9));
      const last = await client.beta.threads.messages.list(thread.id, { limit: 5, order: 'asc', after: ids[19] });
      assert.equal(last.has_more, false);
      assert.equal(last.data.length, 5);
    });

    test('files: upload, list by purpose, retrieve, byte-exact download of several MB, delete', async () => {
      const bytes = randomBytes(5 * 1024 * 1024 + 123);
      const file = await client.files.create({ file: await toFile(bytes, 'blob.zip'), purpose: 'assistants' });
      assert.match(file.id, /^file-/);
      assert.equal(file.bytes, bytes.length);
      assert.equal(file.filename, 'blob.zip');
      assert.equal(file.status, 'processed');
      const response = await client.files.content(file.id);
      assert.equal(response.headers.get('content-type'), 'application/zip');
      assert.ok(Buffer.from(await response.arrayBuffer()).equals(bytes));
      const md = await client.files.create({ file: await toFile(Buffer.from('# hi'), 'notes.md'), purpose: 'user_data' });
      assert.equal((await client.files.content(md.id)).headers.get('content-type'), 'text/markdown');
      const listed = await client.files.list({ purpose: 'user_data' });
      assert.ok(listed.data.some((f) => f.id === md.id));
      assert.ok(!listed.data.some((f) => f.id === file.id));
      assert.deepEqual(await client.files.retrieve(file.id), file);
      assert.deepEqual(await client.files.delete(file.id), { id: file.id, object: 'file', deleted: true });
      await assert.rejects(client.files.content(file.id), (e: any) => e.status === 404);
    });

    test('seed quirks: "code interpreter" with a space, and file_ids on a v2 message', async () => {
      const file = await client.files.create({ file: await toFile(Buffer.from('print(1)'), 'speech.py'), purpose: 'assistants' });
      const assistant = await client.beta.assistants.create({
        model: 'gpt-4',
        tools: [{ type: 'code_interpreter' }],
        tool_resources: { 'code interpreter': { file_ids: [file.id] } } as any,
      });
      assert.deepEqual(assistant.tool_resources?.code_interpreter?.file_ids, [file.id]);
      const thread = await client.beta.threads.create({
        messages: [{ role: 'user', content: 'I need to solve the equation `3x + 11 = 14`.', file_ids: ['file.id'] } as any],
      });
      const [message] = (await client.beta.threads.messages.list(thread.id)).data;
      assert.equal(message!.attachments?.[0]?.file_id, 'file.id');
      assert.ok(message!.attachments?.[0]?.tools?.some((t) => t.type === 'code_interpreter'));
    });
  });
}
