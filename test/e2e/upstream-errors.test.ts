import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import OpenAI from 'openai';
import { pino } from 'pino';
import { loadConfig } from '../../src/config.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { reply, startChatUpstream, type ChatUpstream } from '../support/chat-upstream.js';

// Client-visible errors never show where the upstream lives (another project's key holder reads them); the
// operator's log has it, with the run id.

const SECRET_PATH = 'gpu-node-7-secret-deployment';
const SECRET_HOST = 'gpu-node-7.secret-deployment.invalid';

describe('upstream errors, as the client and the operator see them', () => {
  let upstream: ChatUpstream;
  let server: RunningServer;
  let client: OpenAI;
  let dir: string;
  const log: string[] = [];

  before(async () => {
    upstream = await startChatUpstream();
    dir = mkdtempSync(join(tmpdir(), 'assistd-upstream-errors-'));
    const models = [
      { name: 'leaky', provider: 'openai-compatible', base_url: `${upstream.origin}/${SECRET_PATH}/v1` },
      { name: 'gone', provider: 'openai-compatible', base_url: `http://${SECRET_HOST}:8000/v1` },
    ];
    const sink = new Writable({ write: (chunk, _enc, done) => void (log.push(String(chunk)), done()) });
    server = await startServer(loadConfig({ port: 0, host: '127.0.0.1', data_dir: dir, models, code_pool_size: 0, shutdown_grace_seconds: 0 }, {}), pino({ level: 'warn' }, sink));
    client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'none', maxRetries: 0 });
  });
  after(async () => {
    await server.close();
    await upstream.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function failedRun(model: string) {
    const assistant = await client.beta.assistants.create({ model });
    const thread = await client.beta.threads.create({ messages: [{ role: 'user', content: 'hi' }] });
    const run = await client.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id }, { pollIntervalMs: 20 });
    assert.equal(run.status, 'failed');
    const steps = await client.beta.threads.runs.steps.list(run.id, { thread_id: thread.id });
    return { run, shown: JSON.stringify({ run, steps: steps.data }) };
  }

  test('an upstream that quotes its own address: last_error keeps the reason, not the address', async () => {
    upstream.enqueue(reply.error(400, `model overloaded at http://${upstream.origin.slice(7)}/${SECRET_PATH}/v1 (node ${upstream.origin.slice(7)})`));
    const { run, shown } = await failedRun('leaky');
    assert.equal(run.last_error?.code, 'invalid_prompt');
    assert.match(run.last_error!.message, /model "leaky".*model overloaded/);
    assert.doesNotMatch(shown, new RegExp(`${SECRET_PATH}|127\\.0\\.0\\.1`));
    const entry = log.find((line) => line.includes(run.id));
    assert.ok(entry, 'the failure is logged with the run id');
    assert.match(entry, new RegExp(SECRET_PATH));
  });

  test('chat completions: error bodies keep the reason, not the address; the log has it', async () => {
    upstream.enqueue(reply.error(400, `bad request for http://${upstream.origin.slice(7)}/${SECRET_PATH}/v1`));
    const raw = async (model: string) => {
      const res = await fetch(`${server.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }) });
      return { status: res.status, text: await res.text(), id: res.headers.get('x-request-id')! };
    };
    const leaky = await raw('leaky');
    assert.equal(leaky.status, 400);
    assert.match(leaky.text, /bad request for \[url\]/);
    const gone = await raw('gone');
    assert.equal(gone.status, 502);
    assert.match(JSON.parse(gone.text).error.message, /could not reach the upstream of model "gone"/);
    for (const shown of [leaky.text, gone.text]) assert.doesNotMatch(shown, new RegExp(`${SECRET_PATH}|secret-deployment|127\\.0\\.0\\.1`));
    assert.match(log.find((line) => line.includes(gone.id)) ?? '', new RegExp(SECRET_HOST.replace(/\./g, '\\.')));
  });

  test('an unreachable upstream: last_error says what to check, the log says where', async () => {
    const { run, shown } = await failedRun('gone');
    assert.equal(run.last_error?.code, 'server_error');
    assert.match(run.last_error!.message, /could not reach the upstream of model "gone".*check base_url of the models: entry "gone"/);
    assert.doesNotMatch(shown, /secret-deployment/);
    const entry = log.find((line) => line.includes(run.id));
    assert.ok(entry, 'the failure is logged with the run id');
    assert.match(entry, new RegExp(SECRET_HOST.replace(/\./g, '\\.')));
  });
});
