import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { toFile } from 'openai';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import OpenAI from 'openai';
import { hashKey, keyHint } from '../../src/lib/api-keys.js';
import { createTestDatabase } from '../support/postgres.js';
import { startReplica, type Replica } from '../support/replica.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { script } from '../support/script.js';
import { runPastTokenQuota } from '../support/token-quota.js';

// Tokens per minute and concurrent runs per key as well as per project (whichever is reached first refuses),
// through the SDK (maxRetries: 0, as the SDK would otherwise retry the 429s).

/** Counts live in one-minute windows: a test that needs one window starts with at least 10 s of it left. */
async function freshWindow(): Promise<void> {
  const left = 60_000 - (Date.now() % 60_000);
  if (left < 10_000) await new Promise((r) => setTimeout(r, left + 50));
}

const SLOW = script([{ text: 'slow', delay_ms: 60_000 }]);
const SPENDING = script([{ text: 'spent', usage: { prompt_tokens: 90, completion_tokens: 30 } }]);

async function refusal(promise: Promise<unknown>): Promise<InstanceType<typeof OpenAI.RateLimitError>> {
  const err = await promise.then(() => undefined, (e: unknown) => e);
  assert.ok(err instanceof OpenAI.RateLimitError, `expected a 429, got ${String(err)}`);
  assert.equal(err.code, 'rate_limit_exceeded');
  return err;
}

describe('rate limits per key', () => {
  let dir: string;
  let server: TestServer;
  const keys = new Map<string, OpenAI>();
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'assistd-key-limits-'));
    writeFileSync(join(dir, 'assistd.yaml'), 'rate_limits:\n  per_key: { tokens_per_minute: 100, concurrent_runs: 1 }\n  default: { tokens_per_minute: 100000, concurrent_runs: 10 }\n');
    server = await startTestServer({ ASSISTD_CONFIG: join(dir, 'assistd.yaml'), ASSISTD_API_KEY: 'sk-default' });
    for (const name of ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i']) {
      const secret = `sk-${name}-secret`;
      await server.store.keys.insert({ id: `key_${name}`, project: 'shared', name, hint: keyHint(secret), created_at: 1, revoked_at: null, hash: hashKey(secret) });
      keys.set(name, server.openai({ apiKey: secret }));
    }
  });
  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test("a key's token quota fails its run and refuses its next one; another key of the project goes on", async () => {
    await freshWindow();
    const [a, b] = [keys.get('a')!, keys.get('b')!];
    const { failed, thread, assistant } = await runPastTokenQuota(a);
    assert.equal(failed.status, 'failed');
    assert.equal(failed.last_error?.code, 'rate_limit_exceeded');
    assert.match(failed.last_error?.message ?? '', /tokens per min \(TPM\) on this API key: Limit 100, Used 120/);

    const { response } = await a.beta.threads.runs.retrieve(failed.id, { thread_id: thread.id }).withResponse();
    assert.equal(response.headers.get('x-ratelimit-limit-tokens'), '100');
    assert.equal(response.headers.get('x-ratelimit-remaining-tokens'), '0');
    const refused = await refusal(a.beta.threads.createAndRun({ assistant_id: assistant.id, thread: { messages: [{ role: 'user', content: 'hi' }] } }));
    assert.equal(refused.type, 'tokens');
    assert.match(refused.message, /on this API key/);

    const other = await b.beta.threads.createAndRunPoll({ assistant_id: assistant.id, thread: { messages: [{ role: 'user', content: SPENDING }] } }, { pollIntervalMs: 25 });
    assert.equal(other.status, 'completed');
  });

  for (const [name, mode] of [['e', 'plain'], ['f', 'streamed'], ['g', 'background']] as const) {
    test(`a key's tokens spent by a ${mode} response refuse its next response and run; another key goes on`, async () => {
      await freshWindow();
      const [spender, other] = [keys.get(name)!, keys.get('h')!];
      const spend = { model: 'scripted', input: SPENDING };
      if (mode === 'plain') assert.equal((await spender.responses.create(spend)).status, 'completed');
      if (mode === 'streamed') {
        const stream = await spender.responses.create({ ...spend, stream: true });
        let last = '';
        for await (const event of stream) last = event.type;
        assert.equal(last, 'response.completed');
      }
      if (mode === 'background') {
        let response = await spender.responses.create({ ...spend, background: true });
        while (response.status === 'queued' || response.status === 'in_progress') {
          await new Promise((r) => setTimeout(r, 25));
          response = await spender.responses.retrieve(response.id);
        }
        assert.equal(response.status, 'completed');
      }
      const refused = await refusal(spender.responses.create({ model: 'scripted', input: 'hi' }));
      assert.equal(refused.type, 'tokens');
      assert.match(refused.message, /tokens per min \(TPM\) on this API key: Limit 100, Used 120/);
      const assistant = await other.beta.assistants.create({ model: 'scripted' });
      await refusal(spender.beta.threads.createAndRun({ assistant_id: assistant.id, thread: { messages: [{ role: 'user', content: 'hi' }] } }));
      assert.equal((await other.responses.create({ model: 'scripted', input: 'hi' })).status, 'completed');
    });
  }

  test("a key's second concurrent run is refused; another key of the project may start one", async () => {
    const [c, d] = [keys.get('c')!, keys.get('d')!];
    const assistant = await c.beta.assistants.create({ model: 'scripted' });
    const first = await c.beta.threads.createAndRun({ assistant_id: assistant.id, thread: { messages: [{ role: 'user', content: SLOW }] } });
    const refused = await refusal(c.beta.threads.createAndRun({ assistant_id: assistant.id, thread: { messages: [{ role: 'user', content: 'hi' }] } }));
    assert.match(refused.message, /concurrent runs on this API key: Limit 1/);
    const second = await d.beta.threads.createAndRun({ assistant_id: assistant.id, thread: { messages: [{ role: 'user', content: SLOW }] } });
    // The refused run left nothing behind: no thread, no run.
    assert.equal((await c.beta.threads.runs.list(first.thread_id)).data.length, 1);
    for (const run of [first, second]) await c.beta.threads.runs.cancel(run.id, { thread_id: run.thread_id });
    let run = await c.beta.threads.runs.retrieve(first.id, { thread_id: first.thread_id });
    while (run.status === 'cancelling') run = await c.beta.threads.runs.retrieve(first.id, { thread_id: first.thread_id });
    const next = await c.beta.threads.createAndRunPoll({ assistant_id: assistant.id, thread: { messages: [{ role: 'user', content: 'hi' }] } }, { pollIntervalMs: 25 });
    assert.equal(next.status, 'completed');
  });

  test('a refused create-thread-and-run with files for file_search leaves no thread and no vector store', async () => {
    const i = keys.get('i')!;
    const assistant = await i.beta.assistants.create({ model: 'scripted', tools: [{ type: 'file_search' }] });
    const file = await i.files.create({ file: await toFile(Buffer.from('the capital is Paris'), 'notes.txt'), purpose: 'assistants' });
    const first = await i.beta.threads.createAndRun({ assistant_id: assistant.id, thread: { messages: [{ role: 'user', content: SLOW }] } });
    const counts = async () => {
      const threads: { data: unknown[] } = await i.get('/threads', { query: { limit: 100 } });
      return { threads: threads.data.length, vectorStores: (await i.vectorStores.list({ limit: 100 })).data.length };
    };
    const before = await counts();
    const attachments = [{ file_id: file.id, tools: [{ type: 'file_search' as const }] }];
    await refusal(i.beta.threads.createAndRun({ assistant_id: assistant.id, thread: { messages: [{ role: 'user', content: 'where?', attachments }] } }));
    assert.deepEqual(await counts(), before);
    await i.beta.threads.runs.cancel(first.id, { thread_id: first.thread_id });
    let run = await i.beta.threads.runs.retrieve(first.id, { thread_id: first.thread_id });
    while (run.status === 'cancelling') run = await i.beta.threads.runs.retrieve(first.id, { thread_id: first.thread_id });
    // Accepted, the same request stores its thread with the store named, and the file in it.
    const done = await i.beta.threads.createAndRunPoll({ assistant_id: assistant.id, thread: { messages: [{ role: 'user', content: 'where?', attachments }] } }, { pollIntervalMs: 25 });
    assert.equal(done.status, 'completed');
    const thread = await i.beta.threads.retrieve(done.thread_id);
    const storeId = thread.tool_resources?.file_search?.vector_store_ids?.[0];
    assert.ok(storeId);
    assert.deepEqual((await i.vectorStores.files.list(storeId)).data.map((f) => f.id), [file.id]);
  });
});

describe('rate limits across two replicas on one Postgres', () => {
  let dir: string;
  let replicas: Replica[];
  before(async () => {
    const url = await createTestDatabase();
    dir = mkdtempSync(join(tmpdir(), 'assistd-key-limits-pg-'));
    writeFileSync(join(dir, 'assistd.yaml'), 'rate_limits:\n  per_key: { tokens_per_minute: 100 }\n  default: { concurrent_runs: 3 }\n');
    const env = { ASSISTD_CONFIG: join(dir, 'assistd.yaml'), ASSISTD_API_KEY: 'sk-shared' };
    replicas = [await startReplica(url, env), await startReplica(url, env)];
  });
  after(() => {
    for (const replica of replicas ?? []) replica.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  const client = (i: number) => new OpenAI({ baseURL: `${replicas[i % 2]!.url}/v1`, apiKey: 'sk-shared', maxRetries: 0 });

  test('runs created at the same instant on both replicas never pass the concurrent-run limit', async () => {
    const assistant = await client(0).beta.assistants.create({ model: 'scripted' });
    const attempts = Array.from({ length: 12 }, (_, i) =>
      client(i).beta.threads.createAndRun({ assistant_id: assistant.id, thread: { messages: [{ role: 'user', content: SLOW }] } }).then((run) => run, (err: unknown) => err),
    );
    const outcomes = await Promise.all(attempts);
    const created = outcomes.filter((o): o is OpenAI.Beta.Threads.Run => !(o instanceof Error));
    const refused = outcomes.filter((o) => o instanceof OpenAI.RateLimitError);
    assert.equal(created.length, 3, `created ${created.length}: ${outcomes.filter((o) => o instanceof Error && !(o instanceof OpenAI.RateLimitError)).join('; ')}`);
    assert.equal(refused.length, 9);
    for (const run of created) {
      let cancelled = await client(1).beta.threads.runs.cancel(run.id, { thread_id: run.thread_id });
      while (cancelled.status === 'cancelling') cancelled = await client(1).beta.threads.runs.retrieve(run.id, { thread_id: run.thread_id });
    }
  });

  test("a key's tokens spent through one replica are refused by the other", async () => {
    await freshWindow();
    const assistant = await client(0).beta.assistants.create({ model: 'scripted' });
    const done = await client(0).beta.threads.createAndRunPoll({ assistant_id: assistant.id, thread: { messages: [{ role: 'user', content: SPENDING }] } }, { pollIntervalMs: 25 });
    assert.equal(done.status, 'completed');
    const refused = await refusal(client(1).beta.threads.createAndRun({ assistant_id: assistant.id, thread: { messages: [{ role: 'user', content: 'hi' }] } }));
    assert.equal(refused.type, 'tokens');
    assert.match(refused.message, /tokens per min \(TPM\) on this API key: Limit 100, Used 120/);
  });
});
