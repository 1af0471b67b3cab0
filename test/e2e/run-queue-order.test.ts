import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { reply, startChatUpstream, type ChatUpstream } from '../support/chat-upstream.js';
import { createTestDatabase } from '../support/postgres.js';
import { startTestServer, type TestServer } from '../support/server.js';

// Runs start in the order they were queued: with every slot taken, a run created later never reaches the model
// before one queued earlier, on one replica and across replicas sharing a Postgres database. Runs are created a
// little apart while earlier ones finish, so a freed slot is there for a newcomer to take. (Across replicas the
// order holds up to the NOTIFY's delay, far below the 100 ms between creates here.)

const RUNS = 12;

for (const db of ['sqlite', 'postgres'] as const) describe(`run queue order on ${db}`, () => {
  let upstream: ChatUpstream;
  let replicas: TestServer[];
  before(async () => {
    upstream = await startChatUpstream();
    // Five frames 80 ms apart: each run holds its slot for about 400 ms, twice the time between two creates.
    upstream.fallback = () => reply.text('done', { chunkDelayMs: 80 });
    const env = { OPENAI_BASE_URL: upstream.baseURL, OPENAI_API_KEY: 'k' };
    if (db === 'sqlite') {
      replicas = [await startTestServer({ ...env, ASSISTD_RUN_CAPACITY: '2' })];
    } else {
      // Two replicas of one slot each: a slot freed on one goes to the oldest run, whichever replica queued it.
      const url = await createTestDatabase();
      replicas = [await startTestServer({ ...env, DATABASE_URL: url, ASSISTD_RUN_CAPACITY: '1' })];
      replicas.push(await startTestServer({ ...env, DATABASE_URL: url, ASSISTD_RUN_CAPACITY: '1' }));
    }
  });
  after(async () => {
    for (const r of replicas) await r.close();
    await upstream.close();
  });

  test('a run created while others wait starts after them', async () => {
    const clients = replicas.map((r) => r.openai());
    const assistant = await clients[0]!.beta.assistants.create({ model: 'gpt-4o-mini' });
    const threads = [];
    for (let i = 0; i < RUNS; i++) threads.push(await clients[0]!.beta.threads.create({ messages: [{ role: 'user', content: `job ${i}` }] }));
    const runs = [];
    for (let i = 0; i < RUNS; i++) {
      const client = clients[i % clients.length]!;
      runs.push({ client, thread: threads[i]!.id, run: await client.beta.threads.runs.create(threads[i]!.id, { assistant_id: assistant.id }) });
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    for (const r of runs) {
      const done = await r.client.beta.threads.runs.poll(r.run.id, { thread_id: r.thread }, { pollIntervalMs: 50 });
      assert.equal(done.status, 'completed');
    }
    const started = upstream.requests.filter((r) => r.path.endsWith('/chat/completions')).map((r) => r.body.messages.at(-1).content);
    assert.deepEqual(started, Array.from({ length: RUNS }, (_, i) => `job ${i}`));
  });
});
