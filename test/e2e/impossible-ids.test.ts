import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { toFile } from 'openai';
import { createTestDatabase } from '../support/postgres.js';
import { startTestServer, type TestServer } from '../support/server.js';

// Ids that cannot exist (a NUL byte, a wrong charset) and strings Postgres cannot store answer alike on both
// databases: a 404 for a path id, a 400 naming the param for a cursor, a filter or a body field. Never a 500.

const NUL = '\u0000';

for (const dialect of ['sqlite', 'postgres'] as const) {
  describe(`impossible ids on ${dialect}`, () => {
    let server: TestServer;
    let ids: { assistant: string; thread: string; message: string; file: string; vs: string };
    before(async () => {
      server = await startTestServer(dialect === 'postgres' ? { DATABASE_URL: await createTestDatabase() } : {});
      const client = server.openai();
      const assistant = await client.beta.assistants.create({ model: 'scripted' });
      const thread = await client.beta.threads.create();
      const message = await client.beta.threads.messages.create(thread.id, { role: 'user', content: 'hi' });
      const file = await client.files.create({ file: await toFile(Buffer.from('x'), 'x.txt'), purpose: 'assistants' });
      const vs = await client.vectorStores.create({ name: 'v' });
      ids = { assistant: assistant.id, thread: thread.id, message: message.id, file: file.id, vs: vs.id };
    });
    after(() => server.close());

    async function call(method: string, path: string, body?: unknown) {
      const response = await fetch(`${server.url}/v1${path}`, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: response.status, body: (await response.json()) as any };
    }

    function assertError(res: { status: number; body: any }, status: number, param?: string | null) {
      assert.equal(res.status, status, JSON.stringify(res.body));
      assert.deepEqual(Object.keys(res.body.error).sort(), ['code', 'message', 'param', 'type']);
      if (param !== undefined) assert.equal(res.body.error.param, param);
    }

    test('path ids with a NUL byte or a foreign charset are a 404', async () => {
      for (const bad of [`asst_${NUL}`, '%00', 'asst_%00x', 'a b', 'ü', "x'--", `${'a'.repeat(90)}%00`]) {
        const id = bad.includes('%') ? bad : encodeURIComponent(bad);
        assertError(await call('GET', `/assistants/${id}`), 404);
        assertError(await call('POST', `/assistants/${id}`, { name: 'x' }), 404);
        assertError(await call('DELETE', `/threads/${id}`), 404);
        assertError(await call('GET', `/threads/${ids.thread}/messages/${id}`), 404);
        assertError(await call('GET', `/threads/${id}/runs`), 404);
        assertError(await call('GET', `/files/${id}/content`), 404);
        assertError(await call('GET', `/vector_stores/${ids.vs}/files/${id}`), 404);
        assertError(await call('GET', `/vector_stores/${ids.vs}/file_batches/${id}/files`), 404);
      }
    });

    test('cursors, filters and purpose with a NUL byte are a 400 naming them', async () => {
      assertError(await call('GET', `/assistants?after=asst_%00`), 400, 'after');
      assertError(await call('GET', `/assistants?before=%00`), 400, 'before');
      assertError(await call('GET', `/threads/${ids.thread}/messages?run_id=run_%00`), 400, 'run_id');
      assertError(await call('GET', `/files?purpose=assistants%00`), 400, 'purpose');
      assertError(await call('GET', `/vector_stores/${ids.vs}/files?filter=completed%00`), 400, 'filter');
      assertError(await call('GET', `/assistants?order=asc%00`), 400, 'order');
    });

    test('body ids and strings with a NUL byte are a 400 naming them, and nothing is stored', async () => {
      const client = server.openai();
      const counts = async () => [
        (await client.beta.assistants.list()).data.length,
        (await client.beta.threads.messages.list(ids.thread)).data.length,
        (await client.vectorStores.list()).data.length,
        (await client.files.list()).data.length,
      ];
      const before = await counts();
      assertError(await call('POST', `/threads/${ids.thread}/runs`, { assistant_id: `asst_${NUL}` }), 400, 'assistant_id');
      assertError(await call('POST', '/threads/runs', { assistant_id: ids.assistant, thread: { messages: [{ role: 'user', content: `a${NUL}` }] } }), 400, 'thread.messages[0].content');
      assertError(await call('POST', `/threads/${ids.thread}/messages`, { role: 'user', content: 'x', attachments: [{ file_id: `file-${NUL}`, tools: [] }] }), 400, 'attachments[0].file_id');
      assertError(await call('POST', '/assistants', { model: 'scripted', tool_resources: { code_interpreter: { file_ids: [`${ids.file}${NUL}`] } } }), 400, 'tool_resources.code_interpreter.file_ids[0]');
      assertError(await call('POST', '/vector_stores', { file_ids: [NUL] }), 400, 'file_ids[0]');
      assertError(await call('POST', `/vector_stores/${ids.vs}/files`, { file_id: `${ids.file}${NUL}` }), 400, 'file_id');
      assertError(await call('POST', `/vector_stores/${ids.vs}/file_batches`, { file_ids: [ids.file, `x${NUL}`] }), 400, 'file_ids[1]');
      assertError(await call('POST', `/vector_stores/${ids.vs}/search`, { query: `q${NUL}` }), 400, 'query');
      assertError(await call('POST', `/threads/${ids.thread}/messages/${ids.message}`, { metadata: { k: NUL } }), 400, 'metadata.k');
      const form = new FormData();
      form.append('purpose', `assistants${NUL}`);
      form.append('file', new Blob(['x']), 'x.txt');
      const upload = await fetch(`${server.url}/v1/files`, { method: 'POST', body: form });
      assertError({ status: upload.status, body: await upload.json() }, 400, 'purpose');
      const nulName = `--b\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nassistants\r\n--b\r\nContent-Disposition: form-data; name="file"; filename="a${NUL}b.txt"\r\n\r\nhello\r\n--b--\r\n`;
      const named = await fetch(`${server.url}/v1/files`, { method: 'POST', headers: { 'content-type': 'multipart/form-data; boundary=b' }, body: nulName });
      assertError({ status: named.status, body: await named.json() }, 400, 'file');
      assert.deepEqual(await counts(), before);
    });
  });
}
