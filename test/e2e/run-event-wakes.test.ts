import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { createTestDatabase } from '../support/postgres.js';
import { startReplica, type Replica } from '../support/replica.js';
import { script } from '../support/script.js';

// Replicas on one Postgres wake each other's streams with NOTIFY, and only where a stream on another replica
// follows the run: a NOTIFY costs Postgres a lock at commit and wakes every listening connection, so the usual
// run, streamed by the replica that executes it, sends none.

describe('run event wake-ups between replicas', () => {
  let url: string;
  let worker: Replica;
  let api: Replica;
  let listener: pg.Client;
  /** Run ids heard on the run events channel, and wants heard. */
  const woken: string[] = [];
  const wants: string[] = [];
  before(async () => {
    url = await createTestDatabase();
    worker = await startReplica(url);
    api = await startReplica(url, { ASSISTD_RUN_CAPACITY: '0' });
    listener = new pg.Client({ connectionString: url });
    await listener.connect();
    listener.on('notification', (msg) => (msg.channel === 'assistd_run_events' ? woken : wants).push(msg.payload ?? ''));
    await listener.query('LISTEN assistd_run_events');
    await listener.query('LISTEN assistd_wants');
  });
  after(async () => {
    await listener.end();
    for (const r of [worker, api]) r.kill();
  });

  test('runs streamed by the replica that executes them wake no other process', async () => {
    const assistant = await worker.client.beta.assistants.create({ model: 'scripted' });
    for (let i = 0; i < 5; i++) {
      const thread = await worker.client.beta.threads.create({ messages: [{ role: 'user', content: script([{ chunks: ['one ', 'two'] }]) }] });
      const run = await worker.client.beta.threads.runs.stream(thread.id, { assistant_id: assistant.id }).finalRun();
      assert.equal(run.status, 'completed');
    }
    // The same statement would have notified at its commit, before the stream ended; give delivery a moment.
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.deepEqual(woken, []);
    assert.deepEqual(wants, []);
  });

  test('a stream on another replica says it follows the run, and the executing replica wakes it', async () => {
    const assistant = await api.client.beta.assistants.create({ model: 'scripted' });
    const thread = await api.client.beta.threads.create({ messages: [{ role: 'user', content: script([{ chunks: ['one ', 'two ', 'three'], delay_ms: 300 }]) }] });
    let text = '';
    const stream = api.client.beta.threads.runs.stream(thread.id, { assistant_id: assistant.id }).on('textDelta', (d) => (text += d.value ?? ''));
    const run = await stream.finalRun();
    assert.equal(run.status, 'completed');
    assert.equal(text, 'one two three');
    assert.ok(wants.some((w) => w.endsWith(` assistd_run_events ${run.id}`)), wants.join('\n'));
    assert.ok(woken.includes(run.id), `woken: ${woken.join(', ')}`);
  });

  test('a run claimed from the queue wakes the others on every append, before any want is heard', async () => {
    // The creating replica may follow the run (a held poll, a stream) and its want can reach the executing
    // replica after the first appends: a run created elsewhere wakes everyone, wanted or not.
    const assistant = await api.client.beta.assistants.create({ model: 'scripted' });
    const thread = await api.client.beta.threads.create({ messages: [{ role: 'user', content: script([{ chunks: ['one'] }]) }] });
    const wantsBefore = wants.length;
    const created = await api.client.beta.threads.runs.create(thread.id, { assistant_id: assistant.id });
    let run = created;
    // Polled by hand on the executing replica: nothing announces a want for this run.
    while (run.status === 'queued' || run.status === 'in_progress') {
      await new Promise((resolve) => setTimeout(resolve, 50));
      run = await worker.client.beta.threads.runs.retrieve(created.id, { thread_id: thread.id });
    }
    assert.equal(run.status, 'completed');
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.deepEqual(wants.slice(wantsBefore).filter((w) => w.includes(run.id)), []);
    assert.ok(woken.includes(run.id), `woken: ${woken.join(', ')}`);
  });
});
