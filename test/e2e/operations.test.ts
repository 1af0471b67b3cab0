import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, test } from 'node:test';
import { startTestServer, type TestServer } from '../support/server.js';

let server: TestServer;
before(async () => {
  server = await startTestServer();
});
after(() => server.close());

test('healthz, readyz, metrics, openapi, x-request-id', async () => {
  assert.deepEqual(await (await fetch(`${server.url}/healthz`)).json(), { status: 'ok' });
  const ready = await fetch(`${server.url}/readyz`);
  assert.equal(ready.status, 200);
  assert.equal(((await ready.json()) as any).checks[0].name, 'database');

  const response = await fetch(`${server.url}/v1/assistants`);
  assert.match(response.headers.get('x-request-id') ?? '', /^req_/);
  const notFound = await fetch(`${server.url}/v1/assistants/asst_x`);
  assert.match(notFound.headers.get('x-request-id') ?? '', /^req_/);

  const metrics = await (await fetch(`${server.url}/metrics`)).text();
  assert.match(metrics, /assistd_http_requests_total\{method="GET",route="\/v1\/assistants",status="200"\} \d+/);
  assert.match(metrics, /assistd_http_request_duration_seconds_bucket/);
  assert.match(metrics, /process_resident_memory_bytes/);

  const openapi = (await (await fetch(`${server.url}/openapi.json`)).json()) as any;
  const create = openapi.paths['/v1/assistants'].post;
  assert.equal(create.requestBody.content['application/json'].schema.properties.name.anyOf[0].maxLength, 256);
  assert.ok(openapi.paths['/v1/threads/{thread_id}/messages'].get.parameters.some((p: any) => p.name === 'run_id'));
});

test('restart: data written before a restart is there after it', async () => {
  const dir = server.dataDir;
  const client = server.openai();
  const assistant = await client.beta.assistants.create({ model: 'gpt-4o', name: 'durable' });
  const thread = await client.beta.threads.create({ messages: [{ role: 'user', content: 'remember me' }] });
  await server.stop();
  const again = await startTestServer({}, dir);
  server = { ...again, close: async () => again.close() } as TestServer;
  const client2 = again.openai();
  assert.equal((await client2.beta.assistants.retrieve(assistant.id)).name, 'durable');
  const [message] = (await client2.beta.threads.messages.list(thread.id)).data;
  assert.equal((message!.content[0] as any).text.value, 'remember me');
});

test('cli: --help explains every command; a bad config names the key', () => {
  const help = execFileSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', '--help'], { encoding: 'utf8' });
  for (const word of ['serve', 'worker', 'migrate', 'keys create', 'keys list', 'keys revoke']) assert.ok(help.includes(word), word);
  assert.throws(
    () => execFileSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'migrate'], { encoding: 'utf8', stdio: 'pipe', env: { ...process.env, PORT: 'eighty' } }),
    (err: any) => /invalid setting PORT in the environment/.test(String(err.stderr)),
  );
  assert.throws(
    () => execFileSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'worker'], { encoding: 'utf8', stdio: 'pipe', env: { ...process.env, ASSISTD_RUN_CAPACITY: '0' } }),
    (err: any) => /ASSISTD_RUN_CAPACITY=0 would execute nothing/.test(String(err.stderr)),
  );
});
