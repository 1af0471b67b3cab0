import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, test } from 'node:test';
import { startTestServer, type TestServer } from '../support/server.js';

// Keys, projects and isolation, with keys created by the real CLI against the server's database.

let server: TestServer;
before(async () => {
  server = await startTestServer({ ASSISTD_API_KEY: 'sk-configured' });
});
after(() => server.close());

function cli(...args: string[]): string {
  return execFileSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args, '--data-dir', server.dataDir], {
    encoding: 'utf8',
    env: { ...process.env, ASSISTD_API_KEY: '' },
  });
}

test('missing or wrong key -> 401 invalid_api_key, on every prefix and both headers', async () => {
  for (const prefix of ['/v1', '/openai', '/openai/v1']) {
    const missing = await fetch(`${server.url}${prefix}/assistants`);
    assert.equal(missing.status, 401);
    assert.equal(((await missing.json()) as any).error.code, 'invalid_api_key');
    const wrong = await fetch(`${server.url}${prefix}/assistants`, { headers: { authorization: 'Bearer sk-wrong' } });
    assert.equal(wrong.status, 401);
    const apiKey = await fetch(`${server.url}${prefix}/assistants?api-version=2024-05-01-preview`, { headers: { 'api-key': 'sk-configured' } });
    assert.equal(apiKey.status, 200);
  }
  await assert.rejects(server.openai({ apiKey: 'sk-wrong' }).beta.assistants.list(), (e: any) => e.status === 401);
  assert.equal((await server.azure({ apiKey: 'sk-configured' }).beta.assistants.list()).data.length, 0);
});

test('keys belong to projects: another project sees 404, revoked keys stop working', async () => {
  const alpha = JSON.parse(cli('keys', 'create', '--project', 'alpha', '--name', 'ci'));
  const beta = JSON.parse(cli('keys', 'create', '--project', 'beta'));
  assert.match(alpha.secret, /^sk-assistd-/);
  const listing = cli('keys', 'list');
  assert.ok(listing.includes(alpha.id) && !listing.includes(alpha.secret), 'list never shows secrets');

  const a = server.openai({ apiKey: alpha.secret });
  const b = server.openai({ apiKey: beta.secret });
  const assistant = await a.beta.assistants.create({ model: 'gpt-4o' });
  const thread = await a.beta.threads.create();
  await assert.rejects(b.beta.assistants.retrieve(assistant.id), (e: any) => e.status === 404);
  await assert.rejects(b.beta.threads.messages.create(thread.id, { role: 'user', content: 'x' }), (e: any) => e.status === 404);
  await assert.rejects(b.beta.assistants.delete(assistant.id), (e: any) => e.status === 404);
  assert.equal((await b.beta.assistants.list()).data.length, 0);
  assert.equal((await a.beta.assistants.list()).data.length, 1);
  assert.equal((await a.beta.threads.messages.list(thread.id)).data.length, 0, 'nothing was added by the other project');

  cli('keys', 'revoke', beta.id);
  await new Promise((r) => setTimeout(r, 2100));
  await assert.rejects(b.beta.assistants.list(), (e: any) => e.status === 401);
  assert.equal((await a.beta.assistants.list()).data.length, 1);
});

test('keys are stored hashed', async () => {
  const created = JSON.parse(cli('keys', 'create'));
  const { readFileSync } = await import('node:fs');
  const raw = readFileSync(`${server.dataDir}/assistd.sqlite`).toString('latin1') + readFileSync(`${server.dataDir}/assistd.sqlite-wal`).toString('latin1');
  assert.ok(!raw.includes(created.secret));
});
