import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import OpenAI from 'openai';
import pg from 'pg';
import { createTestDatabase } from '../support/postgres.js';
import { startTestServer, type TestServer } from '../support/server.js';

// On Postgres each replica keeps the assistants its runs used, checked by the run's create transaction: two servers
// on one database, the first creating runs, the second changing the assistant behind its back.

/** The statement texts reaching Postgres from this process (both servers) since the last reset, in order. */
const sent: string[] = [];
const query = pg.Client.prototype.query;
(pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown }).query = function (this: pg.Client, config: unknown, ...rest: unknown[]) {
  const text = typeof config === 'string' ? config : (config as { text?: unknown } | undefined)?.text;
  if (typeof text === 'string') sent.push(text);
  return (query as (...args: unknown[]) => unknown).call(this, config, ...rest);
};
const ASSISTANT_READS = /^select "data".* from "assistants"/;
const CHECKS = /assistd_stale_assistant_/;
const count = (pattern: RegExp) => sent.filter((text) => pattern.test(text)).length;
/** The assistant reads and version checks sent, in order. */
const assistantStatements = () => sent.flatMap((text) => (ASSISTANT_READS.test(text) ? ['read'] : CHECKS.test(text) ? ['check'] : []));

describe('assistants kept by a replica (Postgres)', () => {
  let first: TestServer;
  let second: TestServer;
  let a: OpenAI;
  let b: OpenAI;
  before(async () => {
    const env = { DATABASE_URL: await createTestDatabase() };
    // The first executes the runs it creates (created and started in one transaction); the second executes none.
    [first, second] = await Promise.all([startTestServer(env), startTestServer({ ...env, ASSISTD_RUN_CAPACITY: '0' })]);
    a = first.openai();
    b = second.openai();
  });
  after(async () => {
    await Promise.all([first?.close(), second?.close()]);
  });
  beforeEach(() => sent.splice(0));

  test('runs after the first read no assistant: its version is checked within the create', async () => {
    const assistant = await a.beta.assistants.create({ model: 'scripted', instructions: 'Be brief.' });
    const thread = await a.beta.threads.create();
    sent.splice(0);
    const runs = [await a.beta.threads.createAndRun({ assistant_id: assistant.id }), await a.beta.threads.runs.create(thread.id, { assistant_id: assistant.id })];
    runs.push(await a.beta.threads.createAndRun({ assistant_id: assistant.id }));
    for (const run of runs) assert.equal(run.instructions, 'Be brief.');
    assert.equal(count(ASSISTANT_READS), 1);
    // Each check rides in the create's one merged statement, with its writes.
    assert.equal(sent.filter((text) => CHECKS.test(text) && /^with .*insert into "runs"/.test(text)).length, 3);
  });

  test('a run on an existing thread with its assistant kept reads neither: the create checks the thread too', async () => {
    const assistant = await a.beta.assistants.create({ model: 'scripted' });
    const thread = await a.beta.threads.create({ messages: [{ role: 'user', content: 'hi' }] });
    await a.beta.threads.createAndRun({ assistant_id: assistant.id });
    sent.splice(0);
    const run = await a.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id });
    assert.equal(run.status, 'completed');
    assert.equal(sent.filter((text) => /^select "data" from "(threads|assistants)"/.test(text)).length, 0, 'neither the thread nor the assistant is read');
    await assert.rejects(a.beta.threads.runs.create('thread_unknown', { assistant_id: assistant.id }), (err: unknown) => {
      assert.ok(err instanceof OpenAI.NotFoundError, String(err));
      assert.equal(err.message, "404 No thread found with id 'thread_unknown'.");
      return true;
    });
    // Deleted through the other replica: this one answers 404 too, and creates nothing.
    await b.beta.threads.delete(thread.id);
    await assert.rejects(a.beta.threads.runs.create(thread.id, { assistant_id: assistant.id }), OpenAI.NotFoundError);
  });

  test("a run on an existing thread reads the thread's first page with its create, before the commit", async () => {
    const assistant = await a.beta.assistants.create({ model: 'scripted' });
    const thread = await a.beta.threads.create({ messages: [{ role: 'user', content: 'first' }, { role: 'user', content: 'second' }] });
    await a.beta.threads.createAndRun({ assistant_id: assistant.id });
    sent.splice(0);
    const run = await a.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id, additional_messages: [{ role: 'user', content: 'third, added with the run' }] });
    assert.equal(run.status, 'completed');
    const create = sent.findIndex((text) => /insert into "runs"/.test(text));
    const page = sent.findIndex((text) => /from "messages" where "thread_id"/.test(text));
    assert.ok(create >= 0 && page > create, 'the page is read after the create writes');
    assert.equal(sent[page + 1], 'commit', 'and before its commit, in the same round trip');
    assert.equal(sent.filter((text) => /from "messages" where "thread_id"/.test(text)).length, 1, 'the prompt reads it no more');
    // The prompt saw the thread and the message added with the run.
    const [reply] = (await a.beta.threads.messages.list(thread.id, { limit: 1 })).data;
    assert.match(JSON.stringify(reply!.content), /You said: third, added with the run/);
  });

  test('an assistant changed through another replica is what the next run uses', async () => {
    const assistant = await a.beta.assistants.create({ model: 'scripted', instructions: 'Old.' });
    assert.equal((await a.beta.threads.createAndRun({ assistant_id: assistant.id })).instructions, 'Old.');
    await b.beta.assistants.update(assistant.id, { instructions: 'New.', model: 'scripted:demo' });
    const run = await a.beta.threads.createAndRun({ assistant_id: assistant.id });
    assert.equal(run.instructions, 'New.');
    assert.equal(run.model, 'scripted:demo');
    const thread = await a.beta.threads.create();
    await b.beta.assistants.update(assistant.id, { instructions: 'Newer.' });
    assert.equal((await a.beta.threads.runs.create(thread.id, { assistant_id: assistant.id })).instructions, 'Newer.');
    // Read afresh once per change, then kept again.
    sent.splice(0);
    assert.equal((await a.beta.threads.createAndRun({ assistant_id: assistant.id })).instructions, 'Newer.');
    assert.equal(count(ASSISTANT_READS), 0);
  });

  test('the same on a replica that executes no runs (its create also wakes the others)', async () => {
    const assistant = await b.beta.assistants.create({ model: 'scripted', instructions: 'Old.' });
    assert.equal((await b.beta.threads.createAndRun({ assistant_id: assistant.id })).instructions, 'Old.');
    await a.beta.assistants.update(assistant.id, { instructions: 'New.' });
    assert.equal((await b.beta.threads.createAndRun({ assistant_id: assistant.id })).instructions, 'New.');
    await a.beta.assistants.delete(assistant.id);
    await assert.rejects(b.beta.threads.createAndRun({ assistant_id: assistant.id }), OpenAI.NotFoundError);
  });

  test('an assistant changed through this replica is dropped at once, with no failed create', async () => {
    const assistant = await a.beta.assistants.create({ model: 'scripted', instructions: 'Old.' });
    await a.beta.threads.createAndRun({ assistant_id: assistant.id });
    await a.beta.assistants.update(assistant.id, { instructions: 'New.' });
    sent.splice(0);
    assert.equal((await a.beta.threads.createAndRun({ assistant_id: assistant.id })).instructions, 'New.');
    // Read, then checked: had the old entry been used, its check would have failed first and the read followed.
    assert.deepEqual(assistantStatements(), ['read', 'check']);
  });

  test('an assistant deleted through another replica answers 404 on this one', async () => {
    const assistant = await a.beta.assistants.create({ model: 'scripted' });
    const thread = await a.beta.threads.create();
    await a.beta.threads.createAndRun({ assistant_id: assistant.id });
    await b.beta.assistants.delete(assistant.id);
    for (const create of [() => a.beta.threads.createAndRun({ assistant_id: assistant.id }), () => a.beta.threads.runs.create(thread.id, { assistant_id: assistant.id })]) {
      const err = await create().then(() => undefined, (e: unknown) => e);
      assert.ok(err instanceof OpenAI.NotFoundError, String(err));
      assert.equal(err.message, `404 No assistant found with id '${assistant.id}'.`);
    }
    // The thread is free: no run was created on it.
    assert.equal((await a.beta.threads.runs.list(thread.id)).data.length, 0);
  });

  test('a 404 for an assistant deleted through another replica leaves no vector store a thread helper asked for', async () => {
    const assistant = await a.beta.assistants.create({ model: 'scripted' });
    await a.beta.threads.createAndRun({ assistant_id: assistant.id });
    await b.beta.assistants.delete(assistant.id);
    const stores = (await a.vectorStores.list()).data.length;
    const helper = { tool_resources: { file_search: { vector_stores: [{ file_ids: [] }] } } };
    await assert.rejects(a.beta.threads.createAndRun({ assistant_id: assistant.id, thread: helper }), OpenAI.NotFoundError);
    assert.equal((await a.vectorStores.list()).data.length, stores);
  });
});

describe('a run created on a replica that executes none (Postgres)', () => {
  let api: TestServer;
  before(async () => {
    // Alone on its database: nobody claims its runs, so every statement sent is the API's own.
    api = await startTestServer({ DATABASE_URL: await createTestDatabase(), ASSISTD_RUN_CAPACITY: '0' });
  });
  after(() => api?.close());

  test('is created in one statement: its empty event log is numbered from 0 without a read', async () => {
    const client = api.openai();
    const assistant = await client.beta.assistants.create({ model: 'scripted' });
    await client.beta.threads.createAndRun({ assistant_id: assistant.id });
    sent.splice(0);
    const run = await client.beta.threads.createAndRun({ assistant_id: assistant.id });
    assert.equal(run.status, 'queued');
    assert.equal(count(/from "run_events"/), 0, 'no read of the new run log');
    assert.equal(count(/^begin\b/), 0, 'the create is one statement, sent without BEGIN');
    assert.equal(count(/insert into "runs"/), 1);
  });
});
