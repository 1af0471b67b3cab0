import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type OpenAI from 'openai';
import { reply, startChatUpstream, type ChatUpstream } from '../support/chat-upstream.js';
import { createTestDatabase } from '../support/postgres.js';
import { startTestServer, type TestServer } from '../support/server.js';

// Runs always end: an upstream that stalls after an error status, streams forever or sends an endless event
// cannot keep a run going; a run still going at `expires_at` ends `expired` and frees its thread. Short
// bounds (ASSISTD_UPSTREAM_*, ASSISTD_RUN_EXPIRY_SECONDS) keep each case to seconds.

const CASE = { timeout: 30_000 };

/** Event names of a stream, with runs of message deltas folded into one `thread.message.delta*`. */
async function eventNames(stream: AsyncIterable<{ event: string }>): Promise<string[]> {
  const names: string[] = [];
  for await (const e of stream) {
    if (e.event.endsWith('.delta') && names.at(-1) === `${e.event}*`) continue;
    names.push(e.event.endsWith('.delta') ? `${e.event}*` : e.event);
  }
  return names;
}

/** A server whose model `up` routes to `upstream` (a `models:` entry in a config file). */
async function startAgainst(upstream: ChatUpstream, env: Record<string, string>): Promise<{ server: TestServer; client: OpenAI; assistantId: string }> {
  const file = join(mkdtempSync(join(tmpdir(), 'assistd-run-ends-')), 'assistd.yaml');
  writeFileSync(file, JSON.stringify({ models: [{ name: 'up', provider: 'openai-compatible', base_url: upstream.baseURL, api_key: 'k' }] }));
  const server = await startTestServer({ ASSISTD_CONFIG: file, ...env });
  const client = server.openai();
  const assistantId = (await client.beta.assistants.create({ model: 'up' })).id;
  return { server, client, assistantId };
}

describe('model calls are bounded', () => {
  let upstream: ChatUpstream;
  let server: TestServer;
  let client: OpenAI;
  let assistantId: string;
  before(async () => {
    upstream = await startChatUpstream();
    ({ server, client, assistantId } = await startAgainst(upstream, {
      ASSISTD_UPSTREAM_TIMEOUT_SECONDS: '1',
      ASSISTD_UPSTREAM_IDLE_SECONDS: '2',
      ASSISTD_UPSTREAM_TOTAL_SECONDS: '3',
      ASSISTD_UPSTREAM_MAX_RETRIES: '1',
      ASSISTD_UPSTREAM_MAX_EVENT_BYTES: String(256 * 1024),
      ASSISTD_UPSTREAM_MAX_REPLY_BYTES: String(1024 * 1024),
    }));
  });
  after(async () => {
    await server.close();
    await upstream.close();
  });

  async function runTo(next: Parameters<ChatUpstream['enqueue']>, pollMs = 100) {
    upstream.enqueue(...next);
    const thread = await client.beta.threads.create({ messages: [{ role: 'user', content: 'hi' }] });
    const started = Date.now();
    const run = await client.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistantId }, { pollIntervalMs: pollMs });
    return { run, seconds: (Date.now() - started) / 1000 };
  }

  test('an error status whose body never comes fails the run after the per-attempt timeout', CASE, async () => {
    const { run, seconds } = await runTo([reply.errorThenStall(503), reply.errorThenStall(503)]);
    assert.equal(run.status, 'failed');
    assert.equal(run.last_error?.code, 'server_error');
    assert.match(run.last_error!.message, /503/);
    assert.ok(seconds < 15, `took ${seconds} s`);
  });

  test('a stream that never ends is cut at the total deadline', CASE, async () => {
    const { run, seconds } = await runTo([reply.endless(200)]);
    assert.equal(run.status, 'failed');
    assert.equal(run.last_error?.code, 'server_error');
    assert.match(run.last_error!.message, /within 3000 ms/);
    assert.ok(seconds >= 2.5 && seconds < 15, `took ${seconds} s`);
  });

  test('one event spread over many data lines is cut at the event bound', CASE, async () => {
    const { run } = await runTo([reply.hugeEvent(4096, 1024)]);
    assert.equal(run.status, 'failed');
    assert.equal(run.last_error?.code, 'server_error');
    assert.match(run.last_error!.message, /upstream reply was too large: one event .* 262144 bytes/);
    assert.ok(!run.last_error!.message.includes(upstream.baseURL), run.last_error!.message);
    assert.ok(!run.last_error!.message.includes('127.0.0.1'), run.last_error!.message);
  });

  test('a reply of endless small events is cut at the reply bound', CASE, async () => {
    const { run } = await runTo([reply.endless(0, 'tick '.repeat(200))]);
    assert.equal(run.status, 'failed');
    assert.match(run.last_error!.message, /upstream reply was too large: the reply .* 1048576 bytes/);
    assert.ok(!run.last_error!.message.includes('127.0.0.1'), run.last_error!.message);
  });
});

for (const db of ['sqlite', 'postgres'] as const) describe(`runs expire at expires_at on ${db}`, () => {
  let upstream: ChatUpstream;
  let server: TestServer;
  let client: OpenAI;
  let assistantId: string;
  before(async () => {
    upstream = await startChatUpstream();
    const database: Record<string, string> = db === 'postgres' ? { DATABASE_URL: await createTestDatabase() } : {};
    ({ server, client, assistantId } = await startAgainst(upstream, { ...database, ASSISTD_RUN_EXPIRY_SECONDS: '3' }));
  });
  after(async () => {
    await server.close();
    await upstream.close();
  });

  test('a streamed run whose model streams forever ends expired, with its open parts, and frees the thread', CASE, async () => {
    upstream.enqueue(reply.endless(200));
    const thread = await client.beta.threads.create({ messages: [{ role: 'user', content: 'hi' }] });
    const stream = client.beta.threads.runs.stream(thread.id, { assistant_id: assistantId });
    const names = await eventNames(stream);
    assert.deepEqual(names, [
      'thread.run.created',
      'thread.run.queued',
      'thread.run.in_progress',
      'thread.run.step.created',
      'thread.run.step.in_progress',
      'thread.message.created',
      'thread.message.in_progress',
      'thread.message.delta*',
      'thread.message.incomplete',
      'thread.run.step.expired',
      'thread.run.expired',
    ]);
    const final = await stream.finalRun();
    assert.equal(final.status, 'expired');
    const run = await client.beta.threads.runs.retrieve(final.id, { thread_id: thread.id });
    assert.equal(run.status, 'expired');
    const steps = await client.beta.threads.runs.steps.list(run.id, { thread_id: thread.id });
    assert.equal(steps.data[0]!.status, 'expired');
    const [message] = (await client.beta.threads.messages.list(thread.id, { order: 'desc', limit: 1 })).data;
    assert.equal(message!.status, 'incomplete');
    assert.equal(message!.incomplete_details?.reason, 'run_expired');
    // The upstream call was abandoned, and the thread takes a new run.
    assert.equal(upstream.requests.at(-1)!.aborted, true);
    const next = await client.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistantId }, { pollIntervalMs: 50 });
    assert.equal(next.status, 'completed');
  });

  test('with no worker to take them, queued and cancelling runs expire too', CASE, async () => {
    // An API-only replica (capacity 0) on its own database: nothing will ever execute these runs.
    const database: Record<string, string> = db === 'postgres' ? { DATABASE_URL: await createTestDatabase() } : {};
    const idle = await startAgainst(upstream, { ...database, ASSISTD_RUN_EXPIRY_SECONDS: '2', ASSISTD_RUN_CAPACITY: '0' });
    try {
      const api = idle.client;
      const queued = await api.beta.threads.createAndRun({ assistant_id: idle.assistantId, thread: { messages: [{ role: 'user', content: 'a' }] } });
      const cancelled = await api.beta.threads.createAndRun({ assistant_id: idle.assistantId, thread: { messages: [{ role: 'user', content: 'b' }] } });
      assert.equal((await api.beta.threads.runs.cancel(cancelled.id, { thread_id: cancelled.thread_id })).status, 'cancelling');
      for (const run of [queued, cancelled]) {
        const ended = await api.beta.threads.runs.poll(run.id, { thread_id: run.thread_id }, { pollIntervalMs: 100 });
        assert.equal(ended.status, 'expired');
      }
      await api.beta.threads.messages.create(cancelled.thread_id, { role: 'user', content: 'the thread is free again' });
    } finally {
      await idle.server.close();
    }
  });

  test('a polled run on an upstream that never answers ends expired too', CASE, async () => {
    upstream.enqueue(reply.hang());
    const thread = await client.beta.threads.create({ messages: [{ role: 'user', content: 'hi' }] });
    const run = await client.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistantId }, { pollIntervalMs: 100 });
    assert.equal(run.status, 'expired');
    assert.equal(run.expires_at, null);
  });
});
