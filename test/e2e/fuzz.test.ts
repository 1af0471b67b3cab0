import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import OpenAI, { toFile } from 'openai';
import { createRng, fuzzRequest, oddRequest, operationsOf, type FuzzRequest } from '../support/fuzz-requests.js';
import { startChatUpstream, type ChatUpstream } from '../support/chat-upstream.js';
import { createTestDatabase } from '../support/postgres.js';
import { startTestServer, type TestServer } from '../support/server.js';

// The flood: thousands of malformed requests spread over every operation of /openapi.json, on SQLite and
// Postgres. None may answer 5xx, every 4xx is the OpenAI error shape, no request that could change state is
// accepted, nothing is stored, and the server is alive afterwards. `FUZZ_REQUESTS` and `FUZZ_SEED` scale and
// vary it (`npm run fuzz` sends many more).

const COUNT = Number(process.env.FUZZ_REQUESTS ?? 2000);
const SEED = Number(process.env.FUZZ_SEED ?? 20261126);
const ODD_COUNT = Math.ceil(COUNT / 4);
const CONCURRENCY = 8;

interface Outcome {
  status: number;
  body: any;
}

function parseResponse(text: string): Outcome {
  const end = text.indexOf('\r\n\r\n');
  if (end < 0) return { status: 0, body: text };
  const head = text.slice(0, end);
  const length = /content-length: *(\d+)/i.exec(head);
  const payload = text.slice(end + 4, length ? end + 4 + Number(length[1]) : undefined);
  let body: any = payload;
  try {
    body = JSON.parse(payload);
  } catch {}
  return { status: Number(head.split(' ')[1]), body };
}

function sendRaw(url: string, data: string): Promise<Outcome> {
  return new Promise((resolve) => {
    const socket = connect(Number(new URL(url).port), '127.0.0.1', () => socket.write(data));
    let out = '';
    socket.setTimeout(5000, () => socket.destroy());
    socket.on('data', (chunk) => (out += chunk.toString('latin1')));
    socket.on('error', () => {});
    socket.on('close', () => resolve(parseResponse(Buffer.from(out, 'latin1').toString('utf8'))));
  });
}

async function send(url: string, request: FuzzRequest): Promise<Outcome> {
  if (request.raw) return sendRaw(url, request.raw);
  const response = await fetch(url + request.path, { method: request.method, headers: request.headers, body: request.body });
  const text = await response.text();
  try {
    return { status: response.status, body: JSON.parse(text) };
  } catch {
    return { status: response.status, body: text };
  }
}

function isErrorShape(body: any): boolean {
  const e = body?.error;
  return (
    !!e && typeof e === 'object' && Object.keys(body).length === 1 && typeof e.message === 'string' && typeof e.type === 'string' &&
    'param' in e && (e.param === null || typeof e.param === 'string') && 'code' in e && (e.code === null || typeof e.code === 'string')
  );
}

/** Every object the seeded server holds, read back: it must be the same after the flood. */
async function snapshot(url: string, ids: Record<string, string>): Promise<string> {
  const paths = [
    '/v1/assistants?limit=100', '/v1/files', '/v1/vector_stores?limit=100', '/v1/scripts?limit=100',
    `/v1/threads/${ids.thread_id}`, `/v1/threads/${ids.thread_id}/messages?limit=100`, `/v1/threads/${ids.thread_id}/runs?limit=100`,
    `/v1/threads/${ids.thread_id}/runs/${ids.run_id}/steps?limit=100`, `/v1/vector_stores/${ids.vector_store_id}/files?limit=100`,
    `/v1/vector_stores/${ids.vector_store_id}/file_batches/${ids.batch_id}`, `/v1/assistants/${ids.assistant_id}/files`,
  ];
  const out = [];
  for (const path of paths) out.push(path, await (await fetch(url + path)).text());
  return out.join('\n');
}

async function seed(client: OpenAI, url: string): Promise<Record<string, string>> {
  const file = await client.files.create({ file: await toFile(Buffer.from('The fuzz seed fact is 42.'), 'seed.txt'), purpose: 'assistants' });
  const assistant = await client.beta.assistants.create({ model: 'scripted', tools: [{ type: 'code_interpreter' }], tool_resources: { code_interpreter: { file_ids: [file.id] } } });
  const thread = await client.beta.threads.create({ messages: [{ role: 'user', content: 'hello' }] });
  const run = await client.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id }, { pollIntervalMs: 20 });
  const steps = await client.beta.threads.runs.steps.list(run.id, { thread_id: thread.id });
  const message = (await client.beta.threads.messages.list(thread.id)).data[0]!;
  const vs = await client.vectorStores.create({ name: 'seed' });
  await client.vectorStores.files.createAndPoll(vs.id, { file_id: file.id });
  const batch = await client.vectorStores.fileBatches.createAndPoll(vs.id, { file_ids: [file.id] });
  await fetch(`${url}/v1/scripts/fuzz-seed`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '[{"text":"seeded"}]' });
  return {
    assistant_id: assistant.id, thread_id: thread.id, message_id: message.id, run_id: run.id, step_id: steps.data[0]?.id ?? 'step_none',
    file_id: file.id, vector_store_id: vs.id, batch_id: batch.id, name: 'fuzz-seed',
  };
}

/** Sends the requests, eight at a time, and tallies what came back; `mayChange`: accepted writes are expected. */
async function flood(url: string, requests: FuzzRequest[], mayChange: boolean) {
  const failures: string[] = [];
  const statuses = new Map<number, number>();
  let serverErrors = 0;
  let shapeViolations = 0;
  let next = 0;
  const worker = async () => {
    while (next < requests.length) {
      const request = requests[next++]!;
      const { status, body } = await send(url, request);
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
      const where = `${request.method} ${request.path.slice(0, 120)} [${request.flaw}] -> ${status} ${JSON.stringify(body).slice(0, 200)}`;
      if (status >= 500 || status === 0) {
        serverErrors++;
        failures.push(`5xx/no answer: ${where}`);
      } else if (status >= 400 && !isErrorShape(body)) {
        shapeViolations++;
        failures.push(`shape: ${where}`);
      } else if (status < 400 && request.method !== 'GET' && !mayChange) {
        failures.push(`accepted: ${where}`);
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return { failures, statuses, serverErrors, shapeViolations };
}

function tally(statuses: Map<number, number>): string {
  return [...statuses.entries()].sort(([a], [b]) => a - b).map(([s, n]) => `${s}: ${n}`).join(', ');
}

for (const dialect of ['sqlite', 'postgres'] as const) {
  describe(`fuzz on ${dialect}`, () => {
    let server: TestServer;
    let seeded: Record<string, string> | undefined;
    // The pass-through routes (chat completions, embeddings) need an upstream to answer: without one a
    // well-formed request is rightly a 502, which is no fault of the request.
    let upstream: ChatUpstream;
    before(async () => {
      upstream = await startChatUpstream({ record: false });
      const env = { OPENAI_BASE_URL: upstream.baseURL, OPENAI_API_KEY: 'fuzz' };
      server = await startTestServer(dialect === 'postgres' ? { ...env, DATABASE_URL: await createTestDatabase() } : env);
    });
    after(async () => {
      await server.close();
      await upstream.close();
    });

    test(`${COUNT} malformed requests over every route: 0 x 5xx, all 4xx in the OpenAI shape, nothing stored`, async () => {
      const client = server.openai();
      const ids = await seed(client, server.url);
      const doc = await (await fetch(`${server.url}/openapi.json`)).json();
      const operations = operationsOf(doc as never);
      const rng = createRng(SEED);
      const requests = Array.from({ length: COUNT }, (_, i) => fuzzRequest(operations[i % operations.length]!, rng, ids));
      const before = await snapshot(server.url, ids);

      const { failures, statuses, serverErrors, shapeViolations } = await flood(server.url, requests, false);
      console.log(`fuzz ${dialect}: ${requests.length} requests over ${operations.length} operations (seed ${SEED}); ${serverErrors} x 5xx; ${shapeViolations} shape violations; ${tally(statuses)}`);
      assert.deepEqual(failures.slice(0, 20), []);
      assert.equal(await snapshot(server.url, ids), before, 'nothing stored, changed or deleted');
      assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
      assert.equal((await client.beta.assistants.retrieve(ids.assistant_id!)).id, ids.assistant_id);
      seeded = ids;
    });

    // Well-formed requests with odd values (ids that do not exist, extreme numbers, unusual text) reach the
    // handlers: they may be accepted or refused, never fail. Deletes stay out, so the seeded objects remain.
    test(`${ODD_COUNT} well-formed requests with odd values: 0 x 5xx, all 4xx in the OpenAI shape`, async () => {
      const ids = seeded ?? (await seed(server.openai(), server.url));
      const doc = await (await fetch(`${server.url}/openapi.json`)).json();
      const operations = operationsOf(doc as never).filter((op) => op.method !== 'DELETE');
      const rng = createRng(SEED + 1);
      const requests = Array.from({ length: ODD_COUNT }, (_, i) => oddRequest(operations[i % operations.length]!, rng, ids));
      const { failures, statuses, serverErrors, shapeViolations } = await flood(server.url, requests, true);
      console.log(`fuzz ${dialect} odd values: ${requests.length} requests; ${serverErrors} x 5xx; ${shapeViolations} shape violations; ${tally(statuses)}`);
      assert.deepEqual(failures.slice(0, 20), []);
      assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
    });
  });
}
