import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { createTestDatabase } from '../support/postgres.js';
import { startReplica, type Replica } from '../support/replica.js';
import { script } from '../support/script.js';

// `assistd serve` processes on one Postgres database share the run work: a run created on an API-only replica is
// executed by another and streams across; when the executing one is killed mid-run, a third fails it within
// the lease and frees the thread.

const LEASE_SECONDS = 2;

/** A replica whose leases lapse quickly, so takeover is seen within the test. */
function startLeased(databaseUrl: string | undefined, env: Record<string, string> = {}, dataDir?: string): Promise<Replica> {
  return startReplica(databaseUrl, { ASSISTD_RUN_LEASE_SECONDS: String(LEASE_SECONDS), ...env }, dataDir);
}

describe('replicas on one Postgres', () => {
  let url: string;
  let api: Replica;
  let worker: Replica;
  let spare: Replica | undefined;
  before(async () => {
    url = await createTestDatabase();
    worker = await startLeased(url);
    api = await startLeased(url, { ASSISTD_RUN_CAPACITY: '0' });
  });
  after(() => {
    for (const r of [api, worker, spare]) r?.kill();
  });

  test('a run created and streamed on an API-only replica is executed by another', async () => {
    const assistant = await api.client.beta.assistants.create({ model: 'scripted' });
    const thread = await api.client.beta.threads.create({ messages: [{ role: 'user', content: script([{ chunks: ['one ', 'two ', 'three'] }]) }] });
    let text = '';
    const stream = api.client.beta.threads.runs.stream(thread.id, { assistant_id: assistant.id }).on('textDelta', (d) => (text += d.value ?? ''));
    const run = await stream.finalRun();
    assert.equal(run.status, 'completed');
    assert.equal(text, 'one two three');
    const polled = await worker.client.beta.threads.runs.retrieve(run.id, { thread_id: thread.id });
    assert.equal(polled.status, 'completed');
  });

  test('tool outputs submitted to another replica resume the run there, streamed from a third', async () => {
    const tools = [{ type: 'function' as const, function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }];
    const assistant = await worker.client.beta.assistants.create({ model: 'scripted', tools });
    const steps = [{ tool_calls: [{ name: 'get_weather', arguments: { city: 'Paris' } }] }, { text: 'It is {{tool_output.0}} in Paris.' }];
    const thread = await worker.client.beta.threads.create({ messages: [{ role: 'user', content: script(steps) }] });
    const paused = await worker.client.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id }, { pollIntervalMs: 25 });
    assert.equal(paused.status, 'requires_action');
    const call = paused.required_action!.submit_tool_outputs.tool_calls[0]!;
    const second = await startLeased(url);
    try {
      // The replica that paused the run holds no lease on it any more: the second one takes it at once.
      let text = '';
      const stream = second.client.beta.threads.runs.submitToolOutputsStream(paused.id, { thread_id: thread.id, tool_outputs: [{ tool_call_id: call.id, output: 'sunny' }] });
      stream.on('textDelta', (d) => (text += d.value ?? ''));
      const done = await stream.finalRun();
      assert.equal(done.status, 'completed');
      assert.equal(text, 'It is sunny in Paris.');
      const seenElsewhere = await api.client.beta.threads.runs.steps.list(done.id, { thread_id: thread.id, order: 'asc' });
      assert.deepEqual(seenElsewhere.data.map((s) => [s.type, s.status]), [['tool_calls', 'completed'], ['message_creation', 'completed']]);
    } finally {
      second.child.kill('SIGKILL');
      rmSync(second.dir, { recursive: true, force: true });
    }
  });

  test('killing the replica executing a run: another fails it with server_error within the lease, and the thread is free', async () => {
    const assistant = await api.client.beta.assistants.create({ model: 'scripted' });
    const thread = await api.client.beta.threads.create({ messages: [{ role: 'user', content: script([{ text: 'never finished', delay_ms: 60_000 }]) }] });
    const stream = api.client.beta.threads.runs.stream(thread.id, { assistant_id: assistant.id });
    let runId = '';
    for await (const event of stream) {
      if (event.event === 'thread.run.in_progress') {
        runId = event.data.id;
        break;
      }
    }
    stream.abort();
    spare = await startLeased(url);
    worker.child.kill('SIGKILL');
    const killedAt = Date.now();
    let run = await api.client.beta.threads.runs.retrieve(runId, { thread_id: thread.id });
    while (run.status === 'in_progress' && Date.now() - killedAt < 60_000) {
      await new Promise((r) => setTimeout(r, 200));
      run = await api.client.beta.threads.runs.retrieve(runId, { thread_id: thread.id });
    }
    assert.equal(run.status, 'failed');
    assert.equal(run.last_error?.code, 'server_error');
    assert.ok(Date.now() - killedAt < LEASE_SECONDS * 1000 + 5000, `took ${Date.now() - killedAt} ms`);
    const next = await api.client.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id, additional_messages: [{ role: 'user', content: 'again' }] }, { pollIntervalMs: 50 });
    assert.equal(next.status, 'completed');
  });
});

describe('an `assistd worker` process', () => {
  test('executes the runs an API-only replica creates, and stops cleanly on SIGTERM', async () => {
    const url = await createTestDatabase();
    const api = await startLeased(url, { ASSISTD_RUN_CAPACITY: '0' });
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'worker'], {
      env: { ...process.env, DATABASE_URL: url, ASSISTD_DATA_DIR: api.dir, LOG_LEVEL: 'info', ASSISTD_CODE_POOL_SIZE: '0' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      await new Promise<void>((resolve, reject) => {
        let seen = '';
        child.stdout!.on('data', (chunk) => (seen += chunk) && seen.includes('assistd worker is running') && resolve());
        child.once('exit', (code) => reject(new Error(`the worker exited with ${code}`)));
      });
      const assistant = await api.client.beta.assistants.create({ model: 'scripted' });
      const thread = await api.client.beta.threads.create({ messages: [{ role: 'user', content: script([{ text: 'done by the worker' }]) }] });
      const run = await api.client.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id }, { pollIntervalMs: 25 });
      assert.equal(run.status, 'completed');
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      assert.equal(await exited, 0);
    } finally {
      child.kill('SIGKILL');
      api.child.kill('SIGKILL');
      rmSync(api.dir, { recursive: true, force: true });
    }
  });
});

describe('a graceful stop', () => {
  test('SIGTERM lets a run in flight finish within the grace period before the process exits', async () => {
    const first = await startLeased(undefined, { ASSISTD_SHUTDOWN_GRACE_SECONDS: '20' });
    let second: Replica | undefined;
    try {
      const assistant = await first.client.beta.assistants.create({ model: 'scripted' });
      const thread = await first.client.beta.threads.create({ messages: [{ role: 'user', content: script([{ chunks: ['slow ', 'but ', 'done'], delay_ms: 800 }]) }] });
      const run = await first.client.beta.threads.runs.create(thread.id, { assistant_id: assistant.id });
      let seen = run;
      while (seen.status === 'queued') seen = await first.client.beta.threads.runs.retrieve(run.id, { thread_id: thread.id });
      assert.equal(seen.status, 'in_progress');
      const exited = new Promise<number | null>((resolve) => first.child.once('exit', (code) => resolve(code)));
      first.child.kill('SIGTERM');
      assert.equal(await exited, 0);
      second = await startLeased(undefined, {}, first.dir);
      const after = await second.client.beta.threads.runs.retrieve(run.id, { thread_id: thread.id });
      assert.equal(after.status, 'completed', JSON.stringify(after.last_error));
      const reply = (await second.client.beta.threads.messages.list(thread.id, { run_id: run.id })).data[0]!;
      assert.deepEqual(reply.content.map((c) => (c.type === 'text' ? c.text.value : '')), ['slow but done']);
    } finally {
      first.child.kill('SIGKILL');
      second?.child.kill('SIGKILL');
      rmSync(first.dir, { recursive: true, force: true });
    }
  });
});

describe('one SQLite process killed mid-run', () => {
  test('after a restart the run fails with server_error within the lease and the thread is free', async () => {
    const first = await startLeased(undefined);
    const assistant = await first.client.beta.assistants.create({ model: 'scripted' });
    const thread = await first.client.beta.threads.create({ messages: [{ role: 'user', content: script([{ text: 'never', delay_ms: 60_000 }]) }] });
    const run = await first.client.beta.threads.runs.create(thread.id, { assistant_id: assistant.id });
    let seen = run;
    while (seen.status === 'queued') seen = await first.client.beta.threads.runs.retrieve(run.id, { thread_id: thread.id });
    first.child.kill('SIGKILL');
    const second = await startLeased(undefined, {}, first.dir);
    try {
      const restartedAt = Date.now();
      let polled = await second.client.beta.threads.runs.retrieve(run.id, { thread_id: thread.id });
      while (polled.status === 'in_progress' && Date.now() - restartedAt < 60_000) {
        await new Promise((r) => setTimeout(r, 200));
        polled = await second.client.beta.threads.runs.retrieve(run.id, { thread_id: thread.id });
      }
      assert.equal(polled.status, 'failed');
      assert.equal(polled.last_error?.code, 'server_error');
      const steps = await second.client.beta.threads.runs.steps.list(run.id, { thread_id: thread.id });
      assert.ok(steps.data.every((s) => s.status !== 'in_progress'));
      await second.client.beta.threads.messages.create(thread.id, { role: 'user', content: 'free again' });
    } finally {
      second.child.kill('SIGKILL');
      rmSync(first.dir, { recursive: true, force: true });
    }
  });
});
