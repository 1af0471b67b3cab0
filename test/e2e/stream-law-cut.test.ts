import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '../../src/config.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { reply, startChatUpstream, type ChatUpstream } from '../support/chat-upstream.js';
import { assertLaw, observe, sdks, type Sdk } from '../support/stream-law.js';

// The streaming law for messages cut short: a run that fails or is cancelled mid-reply leaves an `incomplete`
// message holding exactly the text its stream showed.

describe('the streaming law for messages cut short', () => {
  let upstream: ChatUpstream;
  let server: RunningServer;
  let dir: string;
  let clients: Sdk[];
  let assistantId: string;

  before(async () => {
    upstream = await startChatUpstream();
    dir = mkdtempSync(join(tmpdir(), 'assistd-cut-'));
    const models = [{ name: 'upstream-model', provider: 'openai-compatible', base_url: upstream.baseURL, api_key: 'k' }];
    server = await startServer(loadConfig({ port: 0, host: '127.0.0.1', data_dir: dir, models }, { ASSISTD_SHUTDOWN_GRACE_SECONDS: '0' }));
    clients = sdks(`${server.url}/v1`);
    assistantId = (await clients[0]!.client.beta.assistants.create({ model: 'scripted' })).id;
  });
  after(async () => {
    await server?.close();
    await upstream?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const index of [0, 1]) {
    test(`a reply the model stops with an error (${index === 0 ? 'openai 6.x' : 'openai 4.x'})`, async () => {
      const sdk = clients[index]!;
      const content = 'x\n```script\n' + JSON.stringify({ chunks: ['Partial ', 'answer'], error: { status: 500, message: 'boom' } }) + '\n```';
      const thread = await sdk.client.beta.threads.create({ messages: [{ role: 'user', content }] });
      const observed = await observe(sdk.stream(thread.id, { assistant_id: assistantId }));
      assert.equal(observed.run.status, 'failed');
      const [message] = await assertLaw(sdk, observed);
      assert.equal(message.status, 'incomplete');
      assert.deepEqual(message.content, [{ type: 'text', text: { value: 'Partial answer', annotations: [] } }]);
    });
  }

  test('a reply cancelled while the model is still writing', async () => {
    const sdk = clients[0]!;
    upstream.enqueue(reply.text('one two three four five six', { stopAfter: { frames: 4, then: 'hang' } }));
    const thread = await sdk.client.beta.threads.create({ messages: [{ role: 'user', content: 'count' }] });
    const stream = sdk.stream(thread.id, { assistant_id: assistantId, model: 'upstream-model' });
    let runId = '';
    stream.on('runStepCreated', (step) => (runId = step.run_id));
    stream.on('textDelta', (_delta, snapshot) => {
      if (!snapshot.value.includes('two') || !runId) return;
      void sdk.client.beta.threads.runs.cancel(runId, { thread_id: thread.id });
      runId = '';
    });
    const observed = await observe(stream);
    assert.equal(observed.run.status, 'cancelled');
    const [message] = await assertLaw(sdk, observed);
    assert.equal(message.status, 'incomplete');
    assert.match(message.content[0].text.value, /^one two/);
  });
});
