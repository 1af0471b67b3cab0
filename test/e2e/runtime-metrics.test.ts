import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { toFile } from 'openai';
import { checkHost } from '../../src/sandbox/host-check.js';
import { defaultSandboxOptions } from '../../src/sandbox/sandbox.js';
import { startTestServer, type TestServer } from '../support/server.js';

// /metrics series read from the runtime's own state at scrape time: SSE streams, code sessions, ingestion.

const host = checkHost(defaultSandboxOptions);
let server: TestServer;
before(async () => {
  server = await startTestServer({ ASSISTD_CODE_POOL_SIZE: '1' });
});
after(() => server.close());

async function scrape(): Promise<(series: string) => number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  return (series) => Number(new RegExp(`^${series.replace(/[{}"]/g, '\\$&')} (\\S+)$`, 'm').exec(text)?.[1]);
}

/** Scrapes until `ok` holds (the machine is loaded: generous), then returns that scrape. */
async function scrapeUntil(ok: (value: (series: string) => number) => boolean): Promise<(series: string) => number> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const value = await scrape();
    if (ok(value) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('a streamed code_interpreter run shows as an open stream and a session; cancelling it counts a kill', { skip: host.available ? false : host.reason }, async () => {
  const client = server.openai();
  const assistant = await client.beta.assistants.create({ model: 'scripted', tools: [{ type: 'code_interpreter' }] });
  const steps = [{ tool_calls: [{ name: 'code_interpreter', arguments: { code: 'import time\ntime.sleep(60)' } }] }, { text: 'done' }];
  const thread = await client.beta.threads.create({ messages: [{ role: 'user', content: `\`\`\`script\n${JSON.stringify(steps)}\n\`\`\`` }] });
  const stream = client.beta.threads.runs.stream(thread.id, { assistant_id: assistant.id });
  let runId = '';
  // Read to its end in the background: leaving the loop would close the stream.
  let coding = () => {};
  const codeStarted = new Promise<void>((resolve) => (coding = resolve));
  const read = (async () => {
    for await (const event of stream) {
      if (event.event === 'thread.run.created') runId = event.data.id;
      if (event.event === 'thread.run.step.created' && event.data.step_details.type === 'tool_calls') coding();
    }
  })();
  await codeStarted;
  // The session's worker may still be starting when the session takes its slot.
  const during = await scrapeUntil((v) => v('assistd_code_sessions_active') === 1 && v('assistd_code_worker_starts_total') >= 1);
  assert.equal(during('assistd_code_sessions_active'), 1);
  assert.ok(during('assistd_sse_streams_open{api="runs"}') >= 1);
  assert.ok(during('assistd_code_worker_starts_total') >= 1);

  await client.beta.threads.runs.cancel(runId, { thread_id: thread.id });
  await read;
  const ended = await scrapeUntil((v) => v('assistd_code_worker_kills_total{cause="cancelled"}') === 1 && v('assistd_sse_streams_open{api="runs"}') === 0);
  assert.equal(ended('assistd_code_worker_kills_total{cause="cancelled"}'), 1);
  assert.equal(ended('assistd_code_worker_kills_total{cause="timeout"}'), 0);
  assert.equal(ended('assistd_sse_streams_open{api="runs"}'), 0);
  assert.ok(Number.isFinite(ended('assistd_code_workers_pooled')));
});

test('a file ingested into a vector store is counted by outcome and leaves the queue', async () => {
  const client = server.openai();
  const file = await client.files.create({ file: await toFile(Buffer.from('The launch code is 7Q4-ZEBRA-19.'), 'code.txt'), purpose: 'assistants' });
  const vs = await client.vectorStores.create({ name: 'codes', file_ids: [file.id] });
  for (let left = 300; (await client.vectorStores.retrieve(vs.id)).status === 'in_progress' && left > 0; left--) await new Promise((r) => setTimeout(r, 100));
  const value = await scrapeUntil((v) => v('assistd_ingest_files_total{outcome="completed"}') === 1);
  assert.equal(value('assistd_ingest_files_total{outcome="completed"}'), 1);
  assert.equal(value('assistd_ingest_files_total{outcome="failed"}'), 0);
  assert.equal(value('assistd_ingest_queue_depth'), 0);
  assert.equal(value('assistd_ingest_files_active'), 0);
});
