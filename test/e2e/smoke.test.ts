import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestServer, type TestServer } from '../support/server.js';

let server: TestServer;
before(async () => {
  server = await startTestServer();
});
after(() => server.close());

test('assistant round trip', async () => {
  const client = server.openai();
  const a = await client.beta.assistants.create({ model: 'gpt-4o', name: 'x', tools: [{ type: 'code_interpreter' }] });
  assert.match(a.id, /^asst_/);
  const got = await client.beta.assistants.retrieve(a.id);
  assert.deepEqual(got, a);
  const thread = await client.beta.threads.create({ messages: [{ role: 'user', content: 'hi' }] });
  const msgs = await client.beta.threads.messages.list(thread.id);
  assert.equal(msgs.data[0]!.content[0]!.type, 'text');
  const az = server.azure();
  const list = await az.beta.assistants.list();
  assert.equal(list.data.length, 1);
});
