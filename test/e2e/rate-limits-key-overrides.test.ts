import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import OpenAI from 'openai';
import { hashKey, keyHint } from '../../src/lib/api-keys.js';
import { createTestDatabase } from '../support/postgres.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { script } from '../support/script.js';
import { runPastTokenQuota } from '../support/token-quota.js';

// `rate_limits.keys`: some keys (by id or by name) with limits of their own over `per_key`, through the SDK
// (maxRetries: 0, as the SDK would otherwise retry the 429s), on SQLite and on two servers sharing one Postgres.

const CONFIG = `
rate_limits:
  per_key: { requests_per_minute: 1000, tokens_per_minute: 100, concurrent_runs: 1 }
  keys:
    key_lowrpm: { requests_per_minute: 4 }
    key_wide: { concurrent_runs: 2 }
    gold: { tokens_per_minute: null }
`;

const SLOW = script([{ text: 'slow', delay_ms: 60_000 }]);
const SPENDING = script([{ text: 'spent', usage: { prompt_tokens: 90, completion_tokens: 30 } }]);

/** Counts live in one-minute windows: a test that needs one window starts with at least 15 s of it left. */
async function freshWindow(): Promise<void> {
  const left = 60_000 - (Date.now() % 60_000);
  if (left < 15_000) await new Promise((r) => setTimeout(r, left + 50));
}

async function refusal(promise: Promise<unknown>): Promise<InstanceType<typeof OpenAI.RateLimitError>> {
  const err = await promise.then(() => undefined, (e: unknown) => e);
  assert.ok(err instanceof OpenAI.RateLimitError, `expected a 429, got ${String(err)}`);
  assert.equal(err.code, 'rate_limit_exceeded');
  return err;
}

async function cancelAll(client: OpenAI, runs: OpenAI.Beta.Threads.Run[]): Promise<void> {
  for (const run of runs) {
    let current = await client.beta.threads.runs.cancel(run.id, { thread_id: run.thread_id });
    while (current.status === 'cancelling') current = await client.beta.threads.runs.retrieve(run.id, { thread_id: run.thread_id });
  }
}

/** The same checks on `servers` (one, or two replicas sharing a database): the i-th request goes to servers[i % n]. */
function overrides(database: string, start: (env: Record<string, string>) => Promise<TestServer[]>) {
  describe(`per-key limit overrides (${database})`, () => {
    let dir: string;
    let servers: TestServer[];
    /** A client of key `id` (named `name`) on each server. */
    const clients = new Map<string, OpenAI[]>();
    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'assistd-key-overrides-'));
      writeFileSync(join(dir, 'assistd.yaml'), CONFIG);
      servers = await start({ ASSISTD_CONFIG: join(dir, 'assistd.yaml'), ASSISTD_API_KEY: 'sk-default' });
      const keys = [['key_plain', 'plain'], ['key_plain2', 'plain2'], ['key_lowrpm', 'low'], ['key_wide', 'wide'], ['key_gold', 'gold']];
      for (const [id, name] of keys) {
        const secret = `sk-${id}-${database}`;
        await servers[0]!.store.keys.insert({ id: id!, project: 'shared', name: name!, hint: keyHint(secret), created_at: 1, revoked_at: null, hash: hashKey(secret) });
        clients.set(id!, servers.map((server) => server.openai({ apiKey: secret })));
      }
    });
    after(async () => {
      for (const server of servers ?? []) await server.close();
      rmSync(dir, { recursive: true, force: true });
    });
    const on = (id: string, i = 0) => clients.get(id)![i % servers.length]!;

    test('requests per minute: the key given its own limit (by id) is refused at it; another key has per_key', async () => {
      await freshWindow();
      const remaining: string[] = [];
      for (let i = 0; i < 4; i++) {
        const { response } = await on('key_lowrpm', i).models.list().withResponse();
        assert.equal(response.headers.get('x-ratelimit-limit-requests'), '4');
        remaining.push(response.headers.get('x-ratelimit-remaining-requests')!);
      }
      assert.deepEqual(remaining, ['3', '2', '1', '0']);
      const refused = await refusal(on('key_lowrpm', 4).models.list());
      assert.match(refused.message, /requests per min \(RPM\) on this API key: Limit 4, Used 4/);
      for (let i = 0; i < 6; i++) {
        const { response } = await on('key_plain', i).models.list().withResponse();
        assert.equal(response.headers.get('x-ratelimit-limit-requests'), '1000');
      }
    });

    test('concurrent runs: the key allowed two runs (by id) starts two; a key with per_key starts one', async () => {
      const assistant = await on('key_wide').beta.assistants.create({ model: 'scripted' });
      const slow = (id: string, i: number) => on(id, i).beta.threads.createAndRun({ assistant_id: assistant.id, thread: { messages: [{ role: 'user', content: SLOW }] } });
      const wide = [await slow('key_wide', 0), await slow('key_wide', 1)];
      assert.match((await refusal(slow('key_wide', 2))).message, /concurrent runs on this API key: Limit 2/);
      const plain = [await slow('key_plain2', 1)];
      assert.match((await refusal(slow('key_plain2', 0))).message, /concurrent runs on this API key: Limit 1/);
      await cancelAll(on('key_wide'), [...wide, ...plain]);
    });

    test('tokens per minute: the key whose limit is lifted (by name) spends past per_key; a key with per_key fails', async () => {
      await freshWindow();
      const gold = on('key_gold');
      const assistant = await gold.beta.assistants.create({ model: 'scripted' });
      for (let i = 0; i < 2; i++) {
        const run = await on('key_gold', i).beta.threads.createAndRunPoll({ assistant_id: assistant.id, thread: { messages: [{ role: 'user', content: SPENDING }] } }, { pollIntervalMs: 25 });
        assert.equal(run.status, 'completed', run.last_error?.message);
      }
      const { response } = await gold.models.list().withResponse();
      assert.equal(response.headers.get('x-ratelimit-limit-tokens'), null);
      const { failed } = await runPastTokenQuota(on('key_plain2'));
      assert.equal(failed.status, 'failed');
      assert.match(failed.last_error?.message ?? '', /tokens per min \(TPM\) on this API key: Limit 100, Used 120/);
    });
  });
}

overrides('sqlite', async (env) => [await startTestServer(env)]);
overrides('postgres', async (env) => {
  const withDatabase = { ...env, DATABASE_URL: await createTestDatabase() };
  return [await startTestServer(withDatabase), await startTestServer(withDatabase)];
});
