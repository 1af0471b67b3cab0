import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import OpenAI, { toFile } from 'openai';
import { embedText, reply, startChatUpstream, type ChatUpstream } from '../support/chat-upstream.js';
import { createTestDatabase } from '../support/postgres.js';
import { startTestServer, type TestServer } from '../support/server.js';

// Embeddings on any backend, through the SDK: `POST /v1/embeddings` passed to the routed provider, and
// file_search with a local embedding model that is not text-embedding-3-large, including while it is down.

const MODEL = 'local-embed';
// The local model puts "automobile" where it puts "car", as a real one would; lexical search cannot make that leap.
const SYNONYMS = { automobile: 'car', vehicle: 'car' };
const CAR = 'The red car is parked in the north garage next to the loading dock.';
const OTHER = 'The cafeteria opens at eight on weekdays and serves soup on Fridays.';

const embeddingEnv = (baseURL: string, extra: Record<string, string> = {}) => ({
  ASSISTD_EMBEDDING_MODEL: MODEL,
  ASSISTD_EMBEDDING_PROVIDER: 'openai-compatible',
  ASSISTD_EMBEDDING_BASE_URL: baseURL,
  ...extra,
});

async function waitForStore(client: OpenAI, id: string) {
  for (;;) {
    const vs = await client.vectorStores.retrieve(id);
    if (vs.status !== 'in_progress') return vs;
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function storeOf(client: OpenAI, texts: Record<string, string>) {
  const ids: Record<string, string> = {};
  for (const [name, text] of Object.entries(texts)) ids[name] = (await client.files.create({ file: await toFile(Buffer.from(text), `${name}.txt`), purpose: 'assistants' })).id;
  const vs = await client.vectorStores.create({ name: 'docs', file_ids: Object.values(ids) });
  const done = await waitForStore(client, vs.id);
  return { id: vs.id, ids, done };
}

const topFile = async (client: OpenAI, storeId: string, query: string) => (await client.vectorStores.search(storeId, { query })).data[0]?.file_id;

describe('POST /v1/embeddings', () => {
  let upstream: ChatUpstream;
  let server: TestServer;
  before(async () => {
    upstream = await startChatUpstream();
    server = await startTestServer({ OPENAI_BASE_URL: upstream.baseURL, OPENAI_API_KEY: 'sk-upstream' });
  });
  after(async () => {
    await server.close();
    await upstream.close();
  });

  test('passed to the routed provider; floats by default, base64 when asked (what the SDK asks for)', async () => {
    const client = server.openai();
    const texts = ['the red car', 'a quiet garden'];
    const floats = await client.embeddings.create({ model: 'nomic-embed-text', input: texts, encoding_format: 'float' });
    assert.equal(floats.object, 'list');
    assert.equal(floats.model, 'nomic-embed-text');
    assert.deepEqual(floats.data.map((d) => d.embedding), texts.map((t) => embedText(t, 256)));
    assert.deepEqual(floats.data.map((d) => [d.object, d.index]), [['embedding', 0], ['embedding', 1]]);
    assert.ok(floats.usage.prompt_tokens > 0 && floats.usage.total_tokens === floats.usage.prompt_tokens);
    const sent = upstream.requests.at(-1)!;
    assert.equal(sent.body.model, 'nomic-embed-text');
    assert.equal(sent.headers.authorization, 'Bearer sk-upstream');

    // The SDK asks for base64 unless told otherwise and decodes it; the upstream is asked for floats either way.
    const decoded = await client.embeddings.create({ model: 'nomic-embed-text', input: 'the red car', dimensions: 64 });
    assert.equal(upstream.requests.at(-1)!.body.encoding_format, 'float');
    assert.equal(upstream.requests.at(-1)!.body.dimensions, 64);
    const expected = embedText('the red car', 64);
    assert.equal(decoded.data[0]!.embedding.length, 64);
    decoded.data[0]!.embedding.forEach((x, i) => assert.ok(Math.abs(x - expected[i]!) < 1e-6));
  });

  test("Azure's deployment path names the model", async () => {
    const azure = server.azure();
    const result = await azure.embeddings.create({ model: 'my-embeddings', input: ['hello there'], encoding_format: 'float' });
    assert.deepEqual(result.data[0]!.embedding, embedText('hello there', 256));
    assert.equal(upstream.requests.at(-1)!.body.model, 'my-embeddings');
  });

  test('upstream errors map to the hosted statuses without upstream addresses; bad input is a 400', async () => {
    const client = server.openai();
    upstream.enqueue(reply.error(400, "'$.input' is invalid."));
    const bad = await client.embeddings.create({ model: 'm', input: 'x' }).catch((e) => e);
    assert.ok(bad instanceof OpenAI.BadRequestError);
    assert.equal(bad.message, "400 '$.input' is invalid.");
    upstream.enqueue(reply.error(404, 'no such model at http://10.1.2.3'));
    const missing = await client.embeddings.create({ model: 'ghost', input: 'x' }).catch((e) => e);
    assert.ok(missing instanceof OpenAI.NotFoundError);
    assert.equal(missing.code, 'model_not_found');
    assert.doesNotMatch(missing.message, /127\.0\.0\.1|10\.1\.2\.3/);
    const unknown = await client.embeddings.create({ model: 'm', input: 'x', colour: 'red' } as never).catch((e) => e);
    assert.ok(unknown instanceof OpenAI.BadRequestError);
    assert.equal(unknown.param, 'colour');
    const empty = await client.embeddings.create({ model: 'm', input: [] }).catch((e) => e);
    assert.ok(empty instanceof OpenAI.BadRequestError);
  });
});

describe('file_search with a local embedding model', () => {
  let upstream: ChatUpstream;
  let server: TestServer;
  before(async () => {
    upstream = await startChatUpstream({ embeddingSynonyms: SYNONYMS });
    server = await startTestServer(embeddingEnv(upstream.baseURL));
  });
  after(async () => {
    await server.close();
    await upstream.close();
  });

  test('files are embedded by the configured model and found by meaning', async () => {
    const client = server.openai();
    const { id, ids, done } = await storeOf(client, { car: CAR, cafeteria: OTHER });
    assert.equal(done.file_counts.completed, 2);
    const embeddingCalls = upstream.requests.filter((r) => r.path.endsWith('/embeddings'));
    assert.ok(embeddingCalls.length > 0);
    for (const r of embeddingCalls) {
      assert.equal(r.body.model, MODEL);
      assert.equal('dimensions' in r.body, false, 'no dimensions for a model that was not asked for a size');
    }
    assert.equal(await topFile(client, id, 'automobile'), ids.car);
  });
});

for (const dialect of ['sqlite', 'postgres'] as const) {
  describe(`file_search while the embedding model is down (${dialect})`, () => {
    let databaseUrl: Record<string, string> = {};
    before(async () => {
      if (dialect === 'postgres') databaseUrl = { DATABASE_URL: await createTestDatabase() };
    });

    test('files complete and are found by their words; vectors are added when the model comes back', async () => {
      const probe = await startChatUpstream();
      const port = Number(new URL(probe.origin).port);
      await probe.close();
      const server = await startTestServer({ ...databaseUrl, ...embeddingEnv(`http://127.0.0.1:${port}/v1`, { ASSISTD_EMBEDDING_RETRY_SECONDS: '0.2' }) });
      let upstream: ChatUpstream | undefined;
      try {
        const client = server.openai();
        const { id, ids, done } = await storeOf(client, { car: CAR, cafeteria: OTHER });
        assert.equal(done.status, 'completed');
        assert.deepEqual(done.file_counts, { in_progress: 0, completed: 2, failed: 0, cancelled: 0, total: 2 });
        assert.equal(await topFile(client, id, 'where is the red car parked'), ids.car, 'lexical search works');
        assert.equal(await topFile(client, id, 'automobile'), undefined, 'nothing finds it by meaning yet');

        upstream = await startChatUpstream({ port, embeddingSynonyms: SYNONYMS });
        const deadline = Date.now() + 30_000;
        while ((await server.store.chunks.staleStores(`${MODEL}`, 10)).length > 0) {
          assert.ok(Date.now() < deadline, 'the backfill finished');
          await new Promise((r) => setTimeout(r, 100));
        }
        assert.equal(await topFile(client, id, 'automobile'), ids.car, 'found by meaning once vectors are in');
      } finally {
        await server.close();
        await upstream?.close();
      }
    });
  });
}

describe('changing the embedding model', () => {
  test("a store's vectors from the old model are never compared with the new model's; they are re-embedded", async () => {
    const first = await startChatUpstream({ embeddingSynonyms: SYNONYMS });
    const second = await startChatUpstream({ embeddingSynonyms: SYNONYMS, embeddingDimensions: 64 });
    const one = await startTestServer(embeddingEnv(first.baseURL));
    const dataDir = one.dataDir;
    try {
      const { id, ids } = await storeOf(one.openai(), { car: CAR, cafeteria: OTHER });
      await one.stop();
      const two = await startTestServer(embeddingEnv(second.baseURL, { ASSISTD_EMBEDDING_MODEL: 'other-embed' }), dataDir);
      try {
        const deadline = Date.now() + 30_000;
        while ((await two.store.chunks.staleStores('other-embed', 10)).length > 0) {
          assert.ok(Date.now() < deadline, 'the backfill re-embedded the store');
          await new Promise((r) => setTimeout(r, 100));
        }
        const reembedded = second.requests.filter((r) => r.path.endsWith('/embeddings')).flatMap((r) => r.body.input);
        assert.ok(reembedded.includes(CAR), 'the old chunks were sent to the new model');
        assert.equal(await topFile(two.openai(), id, 'automobile'), ids.car);
      } finally {
        await two.close();
      }
    } finally {
      await first.close();
      await second.close();
    }
  });
});

describe('assistd reembed', () => {
  test('gives vectors to the chunks indexed while the model was down, or says why it cannot', async () => {
    const probe = await startChatUpstream();
    const port = Number(new URL(probe.origin).port);
    await probe.close();
    const env = embeddingEnv(`http://127.0.0.1:${port}/v1`, { ASSISTD_EMBEDDING_RETRY_SECONDS: '3600' });
    const server = await startTestServer(env);
    const { dataDir } = server;
    let upstream: ChatUpstream | undefined;
    try {
      const { id, ids, done } = await storeOf(server.openai(), { car: CAR });
      assert.equal(done.status, 'completed');
      await server.stop();
      const cli = () => run(['src/cli.ts', 'reembed'], { PATH: process.env.PATH ?? '', ASSISTD_DATA_DIR: dataDir, ...env });
      const down = await cli();
      assert.equal(down.status, 1);
      assert.match(down.stderr, /the embedding model local-embed failed: could not reach/);
      upstream = await startChatUpstream({ port, embeddingSynonyms: SYNONYMS });
      const ok = await cli();
      assert.equal(ok.status, 0, ok.stderr);
      assert.match(ok.stdout, /^1 chunks given vectors by local-embed; 1 vector stores now wholly embedded by it/);
      const again = await startTestServer(env, dataDir);
      try {
        assert.equal(await topFile(again.openai(), id, 'automobile'), ids.car);
      } finally {
        await again.close();
      }
    } finally {
      await upstream?.close();
    }
  });
});

/** Runs a command with the test's node and tsx, without blocking the upstream this process serves. */
function run(args: string[], env: Record<string, string>): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', ...args], { env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}
