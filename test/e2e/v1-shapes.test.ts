import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { toFile } from 'openai';
import { startTestServer, type TestServer } from '../support/server.js';

let server: TestServer;
before(async () => {
  server = await startTestServer();
});
after(() => server.close());

async function v1(method: string, path: string, body?: unknown) {
  const response = await fetch(`${server.url}/v1${path}`, {
    method,
    headers: { 'content-type': 'application/json', 'OpenAI-Beta': 'assistants=v1' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as any };
}

test('v1 assistants carry file_ids and the retrieval tool; /assistants/{id}/files works', async () => {
  const client = server.openai();
  const f1 = await client.files.create({ file: await toFile(Buffer.from('x'), 'a.txt'), purpose: 'assistants' });
  const f2 = await client.files.create({ file: await toFile(Buffer.from('y'), 'b.txt'), purpose: 'assistants' });
  const created = await v1('POST', '/assistants', { model: 'gpt-4', tools: [{ type: 'retrieval' }], file_ids: [f1.id] });
  assert.equal(created.status, 200);
  assert.deepEqual(created.body.tools, [{ type: 'retrieval' }]);
  assert.deepEqual(created.body.file_ids, [f1.id]);
  assert.equal(created.body.tool_resources, undefined);
  const id = created.body.id;

  const v2 = await client.beta.assistants.retrieve(id);
  assert.deepEqual(v2.tools, [{ type: 'file_search' }]);
  assert.deepEqual(v2.tool_resources?.code_interpreter?.file_ids, [f1.id]);

  const attached = await v1('POST', `/assistants/${id}/files`, { file_id: f2.id });
  assert.deepEqual(Object.keys(attached.body).sort(), ['assistant_id', 'created_at', 'id', 'object']);
  assert.equal(attached.body.object, 'assistant.file');
  const listed = await v1('GET', `/assistants/${id}/files?order=asc`);
  assert.deepEqual(listed.body.data.map((f: any) => f.id), [f1.id, f2.id]);
  assert.equal((await v1('GET', `/assistants/${id}/files/${f2.id}`)).body.assistant_id, id);
  const removed = await v1('DELETE', `/assistants/${id}/files/${f1.id}`);
  assert.deepEqual(removed.body, { id: f1.id, object: 'assistant.file.deleted', deleted: true });
  assert.deepEqual((await v1('GET', `/assistants/${id}`)).body.file_ids, [f2.id]);
  assert.equal((await v1('GET', `/assistants/${id}/files/${f1.id}`)).status, 404);
});

test('v1 messages carry file_ids; /threads/{id}/messages/{id}/files works; Azure 2024-02-15-preview is v1', async () => {
  const client = server.openai();
  const file = await client.files.create({ file: await toFile(Buffer.from('z'), 'c.txt'), purpose: 'assistants' });
  const thread = (await v1('POST', '/threads', {})).body;
  assert.equal(thread.tool_resources, undefined);
  const message = await v1('POST', `/threads/${thread.id}/messages`, { role: 'user', content: 'hi', file_ids: [file.id] });
  assert.deepEqual(message.body.file_ids, [file.id]);
  assert.equal(message.body.attachments, undefined);
  const files = await v1('GET', `/threads/${thread.id}/messages/${message.body.id}/files`);
  assert.deepEqual(files.body.data, [{ id: file.id, object: 'thread.message.file', created_at: file.created_at, message_id: message.body.id }]);

  const azure = await fetch(`${server.url}/openai/threads/${thread.id}/messages/${message.body.id}?api-version=2024-02-15-preview`);
  assert.deepEqual(((await azure.json()) as any).file_ids, [file.id]);
  const azureV2 = await server.azure().beta.threads.messages.retrieve(message.body.id, { thread_id: thread.id });
  assert.equal(azureV2.attachments?.[0]?.file_id, file.id);
});

test('v1 runs carry file_ids and the retrieval tool, without the v2-only fields', async () => {
  const assistant = await v1('POST', '/assistants', { model: 'scripted', tools: [{ type: 'retrieval' }] });
  const thread = await v1('POST', '/threads', { messages: [{ role: 'user', content: 'hi' }] });
  const run = await v1('POST', `/threads/${thread.body.id}/runs`, { assistant_id: assistant.body.id });
  assert.equal(run.status, 200);
  assert.deepEqual(run.body.file_ids, []);
  assert.deepEqual(run.body.tools, [{ type: 'retrieval' }]);
  assert.equal(run.body.truncation_strategy, undefined);
  let polled = run;
  for (let i = 0; i < 100 && polled.body.status !== 'completed'; i++) {
    await new Promise((r) => setTimeout(r, 50));
    polled = await v1('GET', `/threads/${thread.body.id}/runs/${run.body.id}`);
  }
  assert.equal(polled.body.status, 'completed');
  assert.deepEqual(polled.body.tools, [{ type: 'retrieval' }]);
  const v2 = await server.openai().beta.threads.runs.retrieve(run.body.id, { thread_id: thread.body.id });
  assert.deepEqual(v2.tools, [{ type: 'file_search' }]);
  assert.deepEqual(v2.truncation_strategy, { type: 'auto', last_messages: null });
});
