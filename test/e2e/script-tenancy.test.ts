import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import OpenAI from 'openai';
import { hashKey, keyHint } from '../../src/lib/api-keys.js';
import { startTestServer, type TestServer } from '../support/server.js';

// Named scripts belong to the project of the key that stored them: another project can neither read, list,
// replace, delete nor play them. An operator's server-wide scripts (the config file's `scripts:`) serve every
// project, and a project's own script of the same name takes precedence for that project only.

let server: TestServer;
let dir: string;
let a: OpenAI;
let b: OpenAI;

async function keyFor(project: string): Promise<OpenAI> {
  const secret = `sk-test-${project}-${Math.random().toString(36).slice(2)}`;
  await server.store.keys.insert({ id: `key_${project}`, project, name: project, hint: keyHint(secret), created_at: 1, revoked_at: null, hash: hashKey(secret) });
  return server.openai({ apiKey: secret });
}

async function reply(client: OpenAI, model: string): Promise<string> {
  const assistant = await client.beta.assistants.create({ model });
  const run = await client.beta.threads.createAndRunPoll({ assistant_id: assistant.id, thread: { messages: [{ role: 'user', content: 'hi' }] } }, { pollIntervalMs: 20 });
  if (run.status !== 'completed') return `${run.status}: ${run.last_error?.message}`;
  const [message] = (await client.beta.threads.messages.list(run.thread_id, { order: 'desc', limit: 1 })).data;
  return message!.content[0]!.type === 'text' ? message!.content[0]!.text.value : '';
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'assistd-script-tenancy-'));
  const file = join(dir, 'assistd.yaml');
  writeFileSync(file, JSON.stringify({ scripts: { house: [{ text: 'The house script.' }], greeter: { text: 'Server-wide greeter.' } } }));
  server = await startTestServer({ ASSISTD_API_KEY: 'sk-operator', ASSISTD_CONFIG: file });
  a = await keyFor('alpha');
  b = await keyFor('beta');
});
after(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

test("project b can neither read nor overwrite project a's script", async () => {
  await a.put('/scripts/greeter', { body: [{ text: 'Alpha says hi.' }] });
  await assert.rejects(b.get('/scripts/greeter'), (e: unknown) => e instanceof OpenAI.NotFoundError);
  assert.deepEqual((await b.get<any>('/scripts')).data, []);
  await assert.rejects(b.delete('/scripts/greeter'), (e: unknown) => e instanceof OpenAI.NotFoundError);
  // b's PUT makes b's own script; a's is untouched.
  await b.put('/scripts/greeter', { body: [{ text: 'Beta says hi.' }] });
  assert.deepEqual((await a.get<any>('/scripts/greeter')).script, { rules: [{ steps: [{ text: 'Alpha says hi.' }] }] });
  assert.deepEqual((await a.get<any>('/scripts')).data.map((s: any) => s.name), ['greeter']);
  assert.equal(await reply(a, 'scripted:greeter'), 'Alpha says hi.');
  assert.equal(await reply(b, 'scripted:greeter'), 'Beta says hi.');
});

test('a project cannot play a script only another project stored', async () => {
  await a.put('/scripts/alpha-only', { body: [{ text: 'secret of alpha' }] });
  const answer = await reply(b, 'scripted:alpha-only');
  assert.match(answer, /^failed: no script named "alpha-only"/);
});

test('server-wide scripts from the config file serve every project and are not changed through the API', async () => {
  const operator = server.openai({ apiKey: 'sk-operator' });
  assert.equal(await reply(a, 'scripted:house'), 'The house script.');
  assert.equal(await reply(b, 'scripted:house'), 'The house script.');
  assert.equal(await reply(operator, 'scripted:greeter'), 'Server-wide greeter.');
  await assert.rejects(b.delete('/scripts/house'), (e: unknown) => e instanceof OpenAI.NotFoundError);
  assert.equal(await reply(a, 'scripted:house'), 'The house script.');
});
