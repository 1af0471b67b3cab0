import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import OpenAI from 'openai';

type LogLine = Record<string, any>;

/** `assistd serve` as an operator starts it, stdout piped (so JSON logs), every line kept. */
function serve(env: Record<string, string>, args: string[] = []): { child: ChildProcess; lines: LogLine[]; waitFor(test: (l: LogLine) => boolean): Promise<LogLine>; exit: Promise<number | null> } {
  const base: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'info' };
  for (const name of ['ASSISTD_CONFIG', 'OPENAI_BASE_URL', 'OPENAI_API_KEY', 'AZURE_OPENAI_ENDPOINT', 'AZURE_OPENAI_API_KEY', 'ASSISTD_API_KEY']) delete base[name];
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'serve', '--port', '0', ...args], { env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  spawned.push(child);
  const lines: LogLine[] = [];
  const waiters: Array<{ test: (l: LogLine) => boolean; resolve: (l: LogLine) => void }> = [];
  let buffer = '';
  child.stdout!.on('data', (chunk) => {
    buffer += chunk;
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = JSON.parse(buffer.slice(0, nl)) as LogLine;
      buffer = buffer.slice(nl + 1);
      lines.push(line);
      for (const w of waiters.splice(0)) (w.test(line) ? w.resolve(line) : waiters.push(w));
    }
  });
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    lines,
    exit,
    waitFor: (test) => new Promise((resolve) => {
      const found = lines.find(test);
      if (found) resolve(found);
      else waiters.push({ test, resolve });
    }),
  };
}

let dir: string;
/** Servers a failed assertion left running are killed at the end. */
const spawned: ChildProcess[] = [];
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'assistd-banner-'));
});
after(() => {
  for (const child of spawned) if (child.exitCode === null) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

test('banner, request and run log lines, graceful stop lines; keys never logged; data dir 0700, files 0600', async () => {
  const config = join(dir, 'assistd.yaml');
  writeFileSync(config, 'models:\n  - name: team-llm\n    provider: openai-compatible\n    base_url: http://llm.internal:8000/v1\n    api_key: ${TEAM_LLM_KEY_NOT_SET}\n');
  const data = join(dir, 'data');
  const server = serve({ ASSISTD_API_KEY: 'sk-assistd-secret', OPENAI_BASE_URL: 'http://proxy-user:proxy-pw@upstream.example/v1', OPENAI_API_KEY: 'sk-upstream-secret', ASSISTD_CODE_POOL_SIZE: '0' }, ['--config', config, '--data-dir', data]);
  const banner = await server.waitFor((l) => /^assistd \S+ is listening on/.test(l.msg));
  assert.match(banner.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  assert.equal(banner.playground, `${banner.url}/`);
  assert.equal(banner.database, `SQLite ${join(data, 'assistd.sqlite')}`);
  assert.match(banner.models, /team-llm → openai-compatible http:\/\/llm\.internal:8000\/v1/);
  assert.match(banner.models, /OpenAI-compatible http:\/\/upstream\.example\/v1/);
  assert.match(banner.unknownModels, /go to http:\/\/upstream\.example\/v1/);
  assert.match(banner.embeddings, /text-embedding/);
  assert.match(banner.sandbox, /bubblewrap|unavailable/);
  assert.equal(banner.auth, 'keys: ASSISTD_API_KEY');
  const warning = server.lines.find((l) => l.level === 40 && /models: entry "team-llm"/.test(l.msg));
  assert.match(warning?.msg ?? '', /TEAM_LLM_KEY_NOT_SET is not set/);

  const client = new OpenAI({ baseURL: `${banner.url}/v1`, apiKey: 'sk-assistd-secret', maxRetries: 0 });
  const assistant = await client.beta.assistants.create({ model: 'scripted', name: 'logged' });
  const request = await server.waitFor((l) => l.msg === 'request' && l.route === '/v1/assistants');
  assert.deepEqual({ method: request.method, status: request.status, project: request.project }, { method: 'POST', status: 200, project: 'default' });
  assert.match(request.reqId, /^req_/);
  assert.equal(typeof request.ms, 'number');

  const ok = await client.beta.threads.createAndRun({ assistant_id: assistant.id, thread: { messages: [{ role: 'user', content: 'hi' }] } });
  const done = await server.waitFor((l) => l.runId === ok.id && l.msg === 'run completed');
  assert.equal(done.model, 'scripted');
  assert.equal(typeof done.promptTokens, 'number');
  assert.ok(server.lines.some((l) => l.runId === ok.id && l.msg === 'run created'));
  const script = '```script\n[{"error": {"status": 500, "message": "upstream exploded: detail 42"}}]\n```';
  const bad = await client.beta.threads.createAndRun({ assistant_id: assistant.id, thread: { messages: [{ role: 'user', content: script }] } });
  const failed = await server.waitFor((l) => l.runId === bad.id && /^run failed/.test(l.msg));
  assert.match(failed.msg, /upstream exploded: detail 42/);

  server.child.kill('SIGTERM');
  assert.equal(await server.exit, 0);
  assert.ok(server.lines.some((l) => /^stopping:/.test(l.msg)));
  assert.ok(server.lines.some((l) => l.msg === 'stopped'));
  const all = JSON.stringify(server.lines);
  for (const secret of ['sk-assistd-secret', 'sk-upstream-secret', 'proxy-pw']) assert.ok(!all.includes(secret), secret);

  assert.equal(statSync(data).mode & 0o777, 0o700);
  assert.equal(statSync(join(data, 'assistd.sqlite')).mode & 0o777, 0o600);
  assert.equal(statSync(join(data, 'files')).mode & 0o777, 0o700);
});

test('an API-only replica (ASSISTD_RUN_CAPACITY=0) starts no code sandbox workers', async () => {
  const server = serve({ ASSISTD_RUN_CAPACITY: '0', ASSISTD_CODE_POOL_SIZE: '2' }, ['--data-dir', join(dir, 'api-only')]);
  const banner = await server.waitFor((l) => /is listening on/.test(l.msg));
  // With a pool, bubblewrap workers start within seconds of listening (the sandbox logs 'code sandbox ready').
  await new Promise((resolve) => setTimeout(resolve, 6000));
  // ps exits 1 when the process has no children at all.
  const children = spawnSync('ps', ['--ppid', String(server.child.pid), '-o', 'comm='], { encoding: 'utf8' }).stdout.split('\n');
  assert.ok(!children.includes('bwrap'), `no sandbox workers, got ${children.join(',')}`);
  assert.ok(!server.lines.some((l) => l.msg === 'code sandbox ready'));
  assert.match(banner.sandbox, /^off: this process executes no runs/);
  assert.equal(banner.auth, 'no key: 127.0.0.1 only (set ASSISTD_API_KEY or run `assistd keys create`)');
  server.child.kill('SIGTERM');
  assert.equal(await server.exit, 0);
});
