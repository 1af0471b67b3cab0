import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { reply, startChatUpstream, type ChatUpstream } from '../support/chat-upstream.js';
import { createTestDatabase } from '../support/postgres.js';
import { startTestServer, type TestServer } from '../support/server.js';

// Runs and background responses share one worker: one capacity (ASSISTD_RUN_CAPACITY counts both) and one queue,
// from which a freed slot goes to the oldest waiting work of either kind. Work queued a second apart, since
// created_at (the queue order of both tables) counts seconds.

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

for (const db of ['sqlite', 'postgres'] as const) describe(`one worker for runs and background responses on ${db}`, () => {
  let upstream: ChatUpstream;
  let server: TestServer;
  before(async () => {
    upstream = await startChatUpstream();
    // Five frames 500 ms apart: each job holds the one slot for over two seconds.
    upstream.fallback = () => reply.text('done', { chunkDelayMs: 500 });
    const env = { OPENAI_BASE_URL: upstream.baseURL, OPENAI_API_KEY: 'k', ASSISTD_RUN_CAPACITY: '1' };
    server = await startTestServer(db === 'sqlite' ? env : { ...env, DATABASE_URL: await createTestDatabase() });
  });
  after(async () => {
    await server.close();
    await upstream.close();
  });

  test('a background response waits for the slot a run holds and goes before a run queued after it', async () => {
    const client = server.openai();
    const assistant = await client.beta.assistants.create({ model: 'gpt-4o-mini' });
    const first = await client.beta.threads.create({ messages: [{ role: 'user', content: 'job run 1' }] });
    const second = await client.beta.threads.create({ messages: [{ role: 'user', content: 'job run 2' }] });
    const run1 = await client.beta.threads.runs.create(first.id, { assistant_id: assistant.id });
    await sleep(200);
    const response = await client.responses.create({ model: 'gpt-4o-mini', input: 'job response', background: true });
    await sleep(1100);
    assert.equal((await client.responses.retrieve(response.id)).status, 'queued', 'the run holds the only slot');
    const run2 = await client.beta.threads.runs.create(second.id, { assistant_id: assistant.id });
    for (const [thread, run] of [[first.id, run1.id], [second.id, run2.id]] as const) {
      assert.equal((await client.beta.threads.runs.poll(run, { thread_id: thread }, { pollIntervalMs: 50 })).status, 'completed');
    }
    let done = await client.responses.retrieve(response.id);
    while (done.status === 'queued' || done.status === 'in_progress') {
      await sleep(50);
      done = await client.responses.retrieve(response.id);
    }
    assert.equal(done.status, 'completed');
    const started = upstream.requests
      .filter((r) => r.path.endsWith('/chat/completions'))
      .map((r) => JSON.stringify(r.body.messages.at(-1)).match(/job [a-z0-9 ]+/)?.[0]);
    assert.deepEqual(started, ['job run 1', 'job response', 'job run 2']);
  });
});
