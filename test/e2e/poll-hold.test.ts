import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import OpenAI, { toFile } from 'openai';
import { reply, startChatUpstream, type ChatUpstream } from '../support/chat-upstream.js';
import { createTestDatabase } from '../support/postgres.js';
import { startTestServer, type TestServer } from '../support/server.js';

// The SDK's poll helpers sleep `openai-poll-after-ms` (200) between retrieves while a run or file is working; a
// retrieve from them is held until the object changes instead, so they return when it does: one retrieve, not
// a retrieve, a sleep and another. Also across replicas (the run executes on one, the poll is held on another).

const HOLD_MS = 1500;

/** An SDK client on `server` that records the paths it requests, and how long each retrieve took (ms). */
function countingClient(server: TestServer, seen: string[], took: number[] = []): OpenAI {
  return new OpenAI({
    baseURL: `${server.url}/v1`,
    apiKey: 'none',
    maxRetries: 0,
    fetch: async (url, init) => {
      const method = init?.method ?? 'GET';
      seen.push(`${method} ${new URL(String(url)).pathname}`);
      const started = performance.now();
      const response = await fetch(url, init);
      // (The SDK also fetches a data: URL once, to probe its FormData support.)
      if (method === 'GET' && String(url).startsWith('http')) took.push(performance.now() - started);
      return response;
    },
  });
}

const retrieves = (seen: string[]) => seen.filter((s) => s.startsWith('GET /')).length;

for (const db of ['sqlite', 'postgres'] as const) describe(`poll hold on ${db}`, () => {
  let upstream: ChatUpstream;
  let server: TestServer;
  /** Postgres only: an API-only replica; the runs it creates execute on `server`. */
  let api: TestServer | undefined;
  before(async () => {
    upstream = await startChatUpstream();
    // About 150 ms per run: the first retrieve finds it in progress.
    upstream.fallback = () => reply.text('done', { chunkDelayMs: 30 });
    const env = { OPENAI_BASE_URL: upstream.baseURL, OPENAI_API_KEY: 'k', ASSISTD_POLL_HOLD_MS: String(HOLD_MS) };
    const database: Record<string, string> = db === 'postgres' ? { DATABASE_URL: await createTestDatabase() } : {};
    server = await startTestServer({ ...env, ...database });
    if (db === 'postgres') api = await startTestServer({ ...env, ...database, ASSISTD_RUN_CAPACITY: '0' });
  });
  after(async () => {
    await api?.close();
    await server.close();
    await upstream.close();
  });

  test('createAndPoll returns when the run ends, with one retrieve', async () => {
    const seen: string[] = [];
    const client = countingClient(api ?? server, seen);
    const assistant = await client.beta.assistants.create({ model: 'gpt-4o-mini' });
    const thread = await client.beta.threads.create({ messages: [{ role: 'user', content: 'hi' }] });
    seen.length = 0;
    const started = performance.now();
    const run = await client.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id });
    const elapsed = performance.now() - started;
    assert.equal(run.status, 'completed');
    assert.equal(retrieves(seen), 1, `one held retrieve, not a retrieve, a 200 ms sleep and another: ${seen.join(', ')}`);
    assert.ok(elapsed < HOLD_MS, `returned after ${elapsed.toFixed(0)} ms`);
  });

  test('submitToolOutputsAndPoll returns when the resumed run ends', async () => {
    const seen: string[] = [];
    const client = countingClient(api ?? server, seen);
    const tool = { type: 'function' as const, function: { name: 'lookup', parameters: { type: 'object', properties: {} } } };
    const assistant = await client.beta.assistants.create({ model: 'gpt-4o-mini', tools: [tool] });
    const thread = await client.beta.threads.create({ messages: [{ role: 'user', content: 'look it up' }] });
    upstream.enqueue(reply.toolCalls([{ id: 'call_1', name: 'lookup', arguments: '{}' }], { chunkDelayMs: 30 }));
    const paused = await client.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id });
    assert.equal(paused.status, 'requires_action');
    seen.length = 0;
    const run = await client.beta.threads.runs.submitToolOutputsAndPoll(paused.id, { thread_id: thread.id, tool_outputs: [{ tool_call_id: 'call_1', output: 'found' }] });
    assert.equal(run.status, 'completed');
    assert.equal(retrieves(seen), 1, seen.join(', '));
  });

  test('a poll on a long run answers within the bound with its status, and says to ask again at once', async () => {
    const client = (api ?? server).openai();
    const assistant = await client.beta.assistants.create({ model: 'gpt-4o-mini' });
    const thread = await client.beta.threads.create({ messages: [{ role: 'user', content: 'take your time' }] });
    upstream.enqueue(reply.hang());
    const run = await client.beta.threads.runs.create(thread.id, { assistant_id: assistant.id });
    const started = performance.now();
    const { data, response } = await client.beta.threads.runs
      .retrieve(run.id, { thread_id: thread.id }, { headers: { 'X-Stainless-Poll-Helper': 'true' } })
      .withResponse();
    const elapsed = performance.now() - started;
    assert.equal(data.status, 'in_progress');
    assert.ok(elapsed >= HOLD_MS - 100 && elapsed < HOLD_MS + 2000, `held ${elapsed.toFixed(0)} ms`);
    assert.equal(response.headers.get('openai-poll-after-ms'), '0');
    // A retrieve by hand is answered at once, with the usual pause.
    const plain = await client.beta.threads.runs.retrieve(run.id, { thread_id: thread.id }).withResponse();
    assert.equal(plain.response.headers.get('openai-poll-after-ms'), '200');
    await client.beta.threads.runs.cancel(run.id, { thread_id: thread.id });
  });

  test('uploadAndPoll returns when the file is ingested, each retrieve held', async () => {
    const seen: string[] = [];
    const took: number[] = [];
    const client = countingClient(server, seen, took);
    const store = await client.vectorStores.create({ name: 'held' });
    // Large enough that ingestion is still going when the first retrieve comes.
    const text = Array.from({ length: 500 }, (_, i) => `line ${i} of a long document about polling and waiting.`).join('\n');
    took.length = 0;
    const file = await client.vectorStores.files.uploadAndPoll(store.id, await toFile(Buffer.from(text), 'long.txt'));
    assert.equal(file.status, 'completed');
    // Usually one; on a loaded machine ingestion may outlast a hold, which then ran its full bound.
    const early = took.slice(0, -1).filter((ms) => ms < HOLD_MS - 100);
    assert.deepEqual(early, [], `retrieves answered before the bound with the file in progress: ${took.map((ms) => ms.toFixed(0)).join(', ')}`);
  });
});
