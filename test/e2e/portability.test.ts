import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type OpenAI from 'openai';
import { loadConfig } from '../../src/config.js';
import { exportCommand, importCommand } from '../../src/portability/portability-command.js';
import { HOSTED, writeHostedExport } from '../support/hosted-export.js';
import { createTestDatabase } from '../support/postgres.js';
import { startTestServer, type TestServer } from '../support/server.js';

// `assistd import` of a hosted export (the export tool's layout) into SQLite and Postgres, then the official SDK
// finds the same ids, continues the thread and searches the vector store; `assistd export` → `import` into the
// other database is lossless; a second import writes nothing; ids held by another project are refused.

type Db = 'sqlite' | 'postgres';

const temp = (name: string) => mkdtempSync(join(tmpdir(), `assistd-${name}-`));

async function target(db: Db) {
  const dataDir = temp('data');
  const env: Record<string, string> = db === 'postgres' ? { DATABASE_URL: await createTestDatabase() } : {};
  const config = loadConfig({ data_dir: dataDir }, { ...env, ASSISTD_CONFIG: '/dev/null' });
  return { dataDir, env, config };
}

async function run(command: typeof importCommand, config: ReturnType<typeof loadConfig>, dir: string, project = 'default') {
  const lines: string[] = [];
  const code = await command(config, dir, project, (line) => lines.push(line));
  return { code, lines, text: lines.join('\n') };
}

/** An export directory as text, file by file (the manifest's time left out), for comparing two exports. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (sub: string) => {
    for (const name of readdirSync(join(dir, sub), { withFileTypes: true })) {
      const rel = join(sub, name.name);
      if (name.isDirectory()) walk(rel);
      else out[rel] = readFileSync(join(dir, rel), 'utf8');
    }
  };
  walk('');
  out['manifest.json'] = JSON.stringify({ ...JSON.parse(out['manifest.json']!), exported_at: 0 });
  return out;
}

const textOf = (m: OpenAI.Beta.Threads.Message) => (m.content[0]?.type === 'text' ? m.content[0].text.value : '');

for (const db of ['sqlite', 'postgres'] as Db[]) {
  describe(`import and export on ${db}`, () => {
    let server: TestServer;
    let client: OpenAI;
    let hosted: string;
    let first: Awaited<ReturnType<typeof run>>;
    let home: Awaited<ReturnType<typeof target>>;
    const dirs: string[] = [];

    before(async () => {
      hosted = temp('hosted');
      writeHostedExport(hosted);
      home = await target(db);
      first = await run(importCommand, home.config, hosted);
      server = await startTestServer(home.env, home.dataDir);
      client = server.openai();
    });
    after(async () => {
      await server.close();
      for (const dir of [hosted, home.dataDir, ...dirs]) rmSync(dir, { recursive: true, force: true });
    });

    test('the report names what was skipped and why, and the rest is imported', () => {
      assert.equal(first.code, 2, first.text);
      assert.match(first.text, new RegExp(`skipped thread.message ${HOSTED.badMessage} .*content.0.text.value: Invalid input: expected string`));
      assert.match(first.text, new RegExp(`skipped file ${HOSTED.missingFile} .*bytes are not in the export`));
      assert.match(first.text, /note \(threads\/thread_broken.json\): not valid JSON/);
      assert.match(first.text, /file file-aged0ut could not be exported: not_found_or_expired/);
      assert.match(first.text, /thread\.message +3 imported/);
      assert.match(first.text, new RegExp(`${HOSTED.vectorStore}: 2 completed, 0 failed`));
    });

    test('the SDK retrieves the same ids with their times, metadata, content and references', async () => {
      const assistant = await client.beta.assistants.retrieve(HOSTED.assistant);
      assert.equal(assistant.created_at, 1_722_000_000);
      assert.deepEqual(assistant.metadata, { team: 'ops' });
      assert.deepEqual(assistant.tool_resources, { file_search: { vector_store_ids: [HOSTED.vectorStore] } });
      const thread = await client.beta.threads.retrieve(HOSTED.thread);
      assert.deepEqual(thread.metadata, { customer: 'c-42' });
      const messages = (await client.beta.threads.messages.list(HOSTED.thread, { order: 'asc' })).data;
      assert.deepEqual(messages.map((m) => m.id).sort(), [HOSTED.halfReply, HOSTED.reply, HOSTED.userMessage].sort());
      const reply = messages.find((m) => m.id === HOSTED.reply)!;
      assert.equal(reply.content[0]?.type === 'text' && reply.content[0].text.annotations[0]?.type === 'file_citation' && reply.content[0].text.annotations[0].file_citation.file_id, HOSTED.file);
      assert.deepEqual(messages.find((m) => m.id === HOSTED.userMessage)!.attachments, [{ file_id: HOSTED.file, tools: [{ type: 'file_search' }] }]);
      const file = await client.files.retrieve(HOSTED.azureFile);
      assert.equal(file.filename, 'canteen.md');
      assert.match(await (await client.files.content(HOSTED.file)).text(), /pier nine/);
      const done = await client.beta.threads.runs.retrieve(HOSTED.run, { thread_id: HOSTED.thread });
      assert.deepEqual([done.status, done.usage?.total_tokens, done.metadata], ['completed', 19, { origin: 'hosted' }]);
      assert.equal((await client.beta.threads.runs.steps.retrieve(HOSTED.step, { thread_id: HOSTED.thread, run_id: HOSTED.run })).status, 'completed');
    });

    test('a run in flight at export time is expired, with its open step and message ended', async () => {
      const inFlight = await client.beta.threads.runs.retrieve(HOSTED.inFlightRun, { thread_id: HOSTED.thread });
      assert.equal(inFlight.status, 'expired');
      const open = await client.beta.threads.runs.steps.retrieve(HOSTED.openStep, { thread_id: HOSTED.thread, run_id: HOSTED.inFlightRun });
      assert.equal(open.status, 'expired');
      const half = await client.beta.threads.messages.retrieve(HOSTED.halfReply, { thread_id: HOSTED.thread });
      assert.deepEqual([half.status, half.incomplete_details?.reason], ['incomplete', 'run_expired']);
    });

    test('the imported thread continues with a run, and the imported vector store is searched', async () => {
      await client.beta.threads.messages.create(HOSTED.thread, { role: 'user', content: 'And on Sundays?' });
      const next = await client.beta.threads.runs.createAndPoll(HOSTED.thread, { assistant_id: HOSTED.assistant }, { pollIntervalMs: 20 });
      assert.equal(next.status, 'completed');
      const last = (await client.beta.threads.messages.list(HOSTED.thread, { order: 'desc', limit: 1 })).data[0]!;
      assert.equal(textOf(last), 'You said: And on Sundays?');
      const vs = await client.vectorStores.retrieve(HOSTED.vectorStore);
      assert.deepEqual([vs.name, vs.file_counts.completed], ['Ferry docs', 2]);
      const member = await client.vectorStores.files.retrieve(HOSTED.file, { vector_store_id: HOSTED.vectorStore });
      assert.deepEqual(member.attributes, { topic: 'ferries', year: 2026 });
      assert.deepEqual(member.chunking_strategy, { type: 'static', static: { max_chunk_size_tokens: 300, chunk_overlap_tokens: 50 } });
      const hits = await client.vectorStores.search(HOSTED.vectorStore, { query: 'When does the ferry to Vellmar leave?' });
      assert.equal(hits.data[0]?.file_id, HOSTED.file);
      assert.ok(hits.data[0]!.content[0]!.text.includes('06:40'));
    });

    test('importing the same export again writes nothing new', async () => {
      const before = await server.store.messages.count('default');
      const again = await run(importCommand, home.config, hosted);
      assert.doesNotMatch(again.text, /[1-9]\d* imported/);
      assert.match(again.text, /thread\.message +0 imported, 3 already there, 1 skipped/);
      assert.equal(await server.store.messages.count('default'), before);
    });

    test('export → import into the other database → export is lossless', async () => {
      const out = temp('export');
      dirs.push(out);
      rmSync(out, { recursive: true });
      const exported = await run(exportCommand, home.config, out);
      assert.equal(exported.code, 0, exported.text);
      const other = await target(db === 'sqlite' ? 'postgres' : 'sqlite');
      dirs.push(other.dataDir);
      const imported = await run(importCommand, other.config, out);
      assert.equal(imported.code, 0, imported.text);
      const back = temp('export-back');
      dirs.push(back);
      assert.equal((await run(exportCommand, other.config, back)).code, 0);
      assert.deepEqual(snapshot(back), snapshot(out));
      assert.ok(readdirSync(join(out, 'files')).includes(HOSTED.azureFile));
    });

    test('ids held by another project are refused, and nothing is written there', async () => {
      const out = temp('export-collide');
      dirs.push(out);
      rmSync(out, { recursive: true });
      await run(exportCommand, home.config, out);
      const refused = await run(importCommand, home.config, out, 'other');
      assert.equal(refused.code, 2);
      assert.match(refused.text, new RegExp(`refused thread ${HOSTED.thread} .*project "default"`));
      assert.match(refused.text, /assistant +0 imported, 0 already there, 0 skipped, 1 refused/);
      for (const repo of [server.store.threads, server.store.messages, server.store.files, server.store.assistants, server.store.runs]) {
        assert.equal(await repo.count('other'), 0);
      }
    });
  });
}
