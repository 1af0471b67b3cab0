import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import OpenAI from 'openai';
import { createTestDatabase } from '../support/postgres.js';
import { startReplica, type Replica } from '../support/replica.js';
import { startTestServer } from '../support/server.js';
import { script } from '../support/script.js';

// Background responses on `assistd serve` replicas sharing one Postgres: created on an API-only replica, run by
// another, streamed and cancelled from any; when the replica running one is killed, another takes its work over.

const LEASE_SECONDS = 2;

/** A replica whose leases lapse quickly, so takeover is seen within the test. */
function startLeased(databaseUrl: string | undefined, env: Record<string, string> = {}, dataDir?: string): Promise<Replica> {
  return startReplica(databaseUrl, { ASSISTD_RUN_LEASE_SECONDS: String(LEASE_SECONDS), ...env }, dataDir);
}

async function until(client: OpenAI, id: string, done: (status: string | undefined) => boolean, ms = 30_000): Promise<OpenAI.Responses.Response> {
  const start = Date.now();
  let response = await client.responses.retrieve(id);
  while (!done(response.status) && Date.now() - start < ms) {
    await new Promise((r) => setTimeout(r, 100));
    response = await client.responses.retrieve(id);
  }
  return response;
}

describe('background responses on replicas sharing Postgres', () => {
  let url: string;
  let api: Replica;
  let worker: Replica;
  let spare: Replica | undefined;
  before(async () => {
    url = await createTestDatabase();
    // One slot: a second background response waits in the queue while the first runs.
    worker = await startLeased(url, { ASSISTD_RUN_CAPACITY: '1' });
    api = await startLeased(url, { ASSISTD_RUN_CAPACITY: '0' });
  });
  after(() => {
    for (const r of [api, worker, spare]) r?.kill();
  });

  test('created and streamed on an API-only replica, run by another; cancelled from the API replica', async () => {
    const stream = await api.client.responses.create({ model: 'scripted', background: true, stream: true, input: script([{ chunks: ['run ', 'elsewhere'] }]) });
    let text = '';
    let last = '';
    for await (const event of stream) {
      if (event.type === 'response.output_text.delta') text += event.delta;
      last = event.type;
    }
    assert.deepEqual([text, last], ['run elsewhere', 'response.completed']);

    const slow = await api.client.responses.create({ model: 'scripted', background: true, input: script([{ text: 'never', delay_ms: 60_000 }]) });
    assert.equal((await until(api.client, slow.id, (s) => s !== 'queued')).status, 'in_progress');
    assert.equal((await api.client.responses.cancel(slow.id)).status, 'cancelled');
    // The worker's slot is free again at once: its model call was stopped, not left to run out.
    const next = await api.client.responses.create({ model: 'scripted', background: true, input: 'after the cancel' });
    const done = await until(api.client, next.id, (s) => s === 'completed', 10_000);
    assert.equal(done.output_text, 'You said: after the cancel');
    assert.equal((await worker.client.responses.retrieve(slow.id)).status, 'cancelled');
  });

  test('kill -9 of the replica running a response: another fails it within the lease and runs the queued one', async () => {
    const running = await api.client.responses.create({ model: 'scripted', background: true, input: script([{ text: 'never finished', delay_ms: 60_000 }]) });
    assert.equal((await until(api.client, running.id, (s) => s !== 'queued')).status, 'in_progress');
    const waiting = await api.client.responses.create({ model: 'scripted', background: true, input: 'run me after the crash' });
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await api.client.responses.retrieve(waiting.id)).status, 'queued', 'the worker has one slot');
    worker.child.kill('SIGKILL');
    spare = await startLeased(url);
    // The dead replica's lease has lapsed or soon will: the spare takes the response over at its next look.
    const readyAt = Date.now();
    const failed = await until(api.client, running.id, (s) => s !== 'in_progress', 60_000);
    assert.equal(failed.status, 'failed', JSON.stringify(failed));
    assert.equal(failed.error?.code, 'server_error');
    assert.ok(Date.now() - readyAt < LEASE_SECONDS * 1000 + 8000, `took ${Date.now() - readyAt} ms`);
    const ran = await until(api.client, waiting.id, (s) => s === 'completed');
    assert.equal(ran.status, 'completed', JSON.stringify(ran));
    assert.equal(ran.output_text, 'You said: run me after the crash');
    // Its whole stream, from the replica that took it over, ends with the failure.
    const replay = await spare.client.responses.retrieve(running.id, { stream: true });
    const types: string[] = [];
    for await (const event of replay) types.push(event.type);
    assert.deepEqual(types, ['response.created', 'response.queued', 'response.in_progress', 'response.failed']);
  });
});

describe('one SQLite server', () => {
  test('killed mid-response: after a restart the response fails with server_error and the queued one runs', async () => {
    const first = await startLeased(undefined, { ASSISTD_RUN_CAPACITY: '1' });
    let second: Replica | undefined;
    try {
      const running = await first.client.responses.create({ model: 'scripted', background: true, input: script([{ text: 'never', delay_ms: 60_000 }]) });
      assert.equal((await until(first.client, running.id, (s) => s !== 'queued')).status, 'in_progress');
      const waiting = await first.client.responses.create({ model: 'scripted', background: true, input: 'still here' });
      first.child.kill('SIGKILL');
      second = await startLeased(undefined, {}, first.dir);
      const failed = await until(second.client, running.id, (s) => s === 'failed', 20_000);
      assert.deepEqual([failed.status, failed.error?.code], ['failed', 'server_error']);
      assert.equal((await until(second.client, waiting.id, (s) => s === 'completed', 20_000)).output_text, 'You said: still here');
    } finally {
      first.child.kill('SIGKILL');
      second?.child.kill('SIGKILL');
      rmSync(first.dir, { recursive: true, force: true });
    }
  });

  test('a stop ends a background response still running as failed, saying the server stopped', async () => {
    const first = await startTestServer();
    const client = first.openai();
    const running = await client.responses.create({ model: 'scripted', background: true, input: script([{ text: 'never', delay_ms: 60_000 }]) });
    assert.equal((await until(client, running.id, (s) => s !== 'queued')).status, 'in_progress');
    await first.stop();
    const second = await startTestServer({}, first.dataDir);
    try {
      const ended = await second.openai().responses.retrieve(running.id);
      assert.equal(ended.status, 'failed');
      assert.deepEqual(ended.error, { code: 'server_error', message: 'The server stopped before the response finished. Create it again.' });
    } finally {
      await second.close();
      rmSync(first.dataDir, { recursive: true, force: true });
    }
  });
});
