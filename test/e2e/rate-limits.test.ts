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

// The config file's rate_limits: through the SDK (maxRetries: 0, as the SDK would otherwise retry the 429s).

const CONFIG = `
rate_limits:
  per_key: { requests_per_minute: 1000 }
  default: { requests_per_minute: 5 }
  projects:
    tokens: { requests_per_minute: 1000, tokens_per_minute: 100 }
    busy: { requests_per_minute: 1000, concurrent_runs: 1 }
`;

/** Counts live in one-minute windows: a test that needs one window starts with at least 20 s of it left. */
async function freshWindow(): Promise<void> {
  const left = 60_000 - (Date.now() % 60_000);
  if (left < 20_000) await new Promise((r) => setTimeout(r, left + 50));
}

async function keyFor(server: TestServer, project: string): Promise<OpenAI> {
  const secret = `sk-${project}-secret`;
  await server.store.keys.insert({ id: `key_${project}`, project, name: project, hint: keyHint(secret), created_at: 1, revoked_at: null, hash: hashKey(secret) });
  return server.openai({ apiKey: secret });
}

describe('rate limits', () => {
  let dir: string;
  let server: TestServer;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'assistd-limits-'));
    writeFileSync(join(dir, 'assistd.yaml'), CONFIG);
    server = await startTestServer({ ASSISTD_CONFIG: join(dir, 'assistd.yaml'), ASSISTD_API_KEY: 'sk-default' });
  });
  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('requests per minute: x-ratelimit-* headers count down, then a 429 rate_limit_exceeded', async () => {
    await freshWindow();
    const client = server.openai();
    const remaining: string[] = [];
    for (let i = 0; i < 5; i++) {
      const { response } = await client.models.list().withResponse();
      assert.equal(response.headers.get('x-ratelimit-limit-requests'), '5');
      assert.match(response.headers.get('x-ratelimit-reset-requests') ?? '', /^(\d+m)?\d+(ms|s)$/);
      remaining.push(response.headers.get('x-ratelimit-remaining-requests')!);
    }
    assert.deepEqual(remaining, ['4', '3', '2', '1', '0']);
    const refused = await client.beta.assistants.list().catch((err: unknown) => err);
    assert.ok(refused instanceof OpenAI.RateLimitError, String(refused));
    assert.equal(refused.status, 429);
    assert.equal(refused.code, 'rate_limit_exceeded');
    assert.equal(refused.type, 'requests');
    assert.match(refused.message, /Rate limit reached for requests per min \(RPM\) on project default: Limit 5, Used 5/);
    assert.equal(refused.headers?.get('x-ratelimit-remaining-requests'), '0');
    assert.ok(Number(refused.headers?.get('retry-after')) >= 1);
    // Another project has its own count.
    const other = await keyFor(server, 'other');
    await other.models.list();
  });

  test('tokens per minute: a run that finds the quota spent fails with rate_limit_exceeded, and new runs get a 429', async () => {
    await freshWindow();
    const client = await keyFor(server, 'tokens');
    const { failed, thread, assistant } = await runPastTokenQuota(client);
    assert.equal(failed.status, 'failed');
    assert.equal(failed.last_error?.code, 'rate_limit_exceeded');
    assert.match(failed.last_error?.message ?? '', /tokens per min \(TPM\).*Limit 100, Used 120/);

    const { response } = await client.beta.threads.runs.retrieve(failed.id, { thread_id: thread.id }).withResponse();
    assert.equal(response.headers.get('x-ratelimit-limit-tokens'), '100');
    assert.equal(response.headers.get('x-ratelimit-remaining-tokens'), '0');
    const refused = await client.beta.threads.runs.create(thread.id, { assistant_id: assistant.id }).catch((err: unknown) => err);
    assert.ok(refused instanceof OpenAI.RateLimitError, String(refused));
    assert.equal(refused.type, 'tokens');
    assert.equal(refused.code, 'rate_limit_exceeded');
  });

  test('concurrent runs: a run past the project limit is refused while the first one runs', async () => {
    const client = await keyFor(server, 'busy');
    const assistant = await client.beta.assistants.create({ model: 'scripted' });
    const slow = await client.beta.threads.create({ messages: [{ role: 'user', content: script([{ text: 'slow', delay_ms: 30_000 }]) }] });
    const first = await client.beta.threads.runs.create(slow.id, { assistant_id: assistant.id });
    const refused = await client.beta.threads.createAndRun({ assistant_id: assistant.id, thread: { messages: [{ role: 'user', content: 'hi' }] } }).catch((err: unknown) => err);
    assert.ok(refused instanceof OpenAI.RateLimitError, String(refused));
    assert.match(refused.message, /concurrent runs on project busy: Limit 1/);
    await client.beta.threads.runs.cancel(first.id, { thread_id: slow.id });
    let run = await client.beta.threads.runs.retrieve(first.id, { thread_id: slow.id });
    while (run.status === 'cancelling') run = await client.beta.threads.runs.retrieve(first.id, { thread_id: slow.id });
    const next = await client.beta.threads.createAndRunPoll({ assistant_id: assistant.id, thread: { messages: [{ role: 'user', content: 'hi' }] } }, { pollIntervalMs: 25 });
    assert.equal(next.status, 'completed');
  });
});

describe('rate limits across replicas on one Postgres', () => {
  test('two servers share one per-key count', async () => {
    const url = await createTestDatabase();
    const dir = mkdtempSync(join(tmpdir(), 'assistd-limits-pg-'));
    writeFileSync(join(dir, 'assistd.yaml'), 'rate_limits:\n  per_key: { requests_per_minute: 4 }\n');
    const env = { ASSISTD_CONFIG: join(dir, 'assistd.yaml'), DATABASE_URL: url, ASSISTD_API_KEY: 'sk-shared' };
    const [one, two] = [await startTestServer(env), await startTestServer(env)];
    try {
      await freshWindow();
      for (const server of [one, two, one, two]) await server.openai().models.list();
      for (const server of [one, two]) {
        const refused = await server.openai().models.list().catch((err: unknown) => err);
        assert.ok(refused instanceof OpenAI.RateLimitError, String(refused));
        assert.match(refused.message, /on this API key: Limit 4, Used 4/);
      }
    } finally {
      await one.close();
      await two.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
