import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createLocalBlobStore } from '../blobs/local-blob-store.js';
import { createSqliteStore } from '../store/sqlite-store.js';
import type { Store } from '../store/store.js';
import { importExport } from './import-export.js';
import { formatReport, type ImportReport } from './import-report.js';

// The importer on assistd's own layout, written by hand: validation per object, duplicates, orphans, runs in
// flight, and a group that fails to write leaving nothing of itself behind.

const T = 1_700_000_000;
const thread = { id: 'thread_own1', object: 'thread', created_at: T, metadata: { a: '1' }, tool_resources: null };
const msg = (id: string, threadId: string, value: unknown) => ({ id, object: 'thread.message', created_at: T + 1, thread_id: threadId, role: 'user', content: [{ type: 'text', text: { value, annotations: [] } }], metadata: {} });
const run = { id: 'run_own1', object: 'thread.run', created_at: T + 2, thread_id: 'thread_own1', assistant_id: 'asst_own1', status: 'requires_action', model: 'scripted', required_action: { type: 'submit_tool_outputs', submit_tool_outputs: { tool_calls: [] } }, expires_at: T + 600 };
const v1Assistant = { id: 'asst_v1', object: 'assistant', created_at: T, model: 'scripted', tools: [{ type: 'retrieval' }], file_ids: ['file-own1'], metadata: {} };
const jsonl = (...objects: unknown[]) => objects.map((o) => (typeof o === 'string' ? o : JSON.stringify(o))).join('\n');

function writeOwnExport(dir: string): void {
  mkdirSync(join(dir, 'files'), { recursive: true });
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ format: 'assistd-export/v1', project: 'p', exported_at: T, counts: {} }));
  writeFileSync(join(dir, 'files.jsonl'), jsonl({ id: 'file-own1', object: 'file', bytes: 5, created_at: T, filename: 'a.txt', purpose: 'assistants' }));
  writeFileSync(join(dir, 'files', 'file-own1'), 'hello');
  writeFileSync(join(dir, 'assistants.jsonl'), jsonl({ id: 'asst_own1', object: 'assistant', created_at: T, model: 'scripted', metadata: {} }, { id: '../escape', object: 'assistant', created_at: T, model: 'x' }, v1Assistant));
  writeFileSync(join(dir, 'threads.jsonl'), jsonl(thread));
  writeFileSync(join(dir, 'messages.jsonl'), jsonl(msg('msg_own1', 'thread_own1', 'hi'), msg('msg_own1', 'thread_own1', 'changed'), msg('msg_orphan', 'thread_elsewhere', 'lost'), '{"id": "msg_cut', { ...msg('msg_v1', 'thread_own1', 'v1'), file_ids: ['file-own1'] }));
  writeFileSync(join(dir, 'runs.jsonl'), jsonl(run));
  writeFileSync(join(dir, 'run_steps.jsonl'), jsonl({ id: 'step_orphan', object: 'thread.run.step', created_at: T, run_id: 'run_missing', assistant_id: 'asst_own1', thread_id: 'thread_own1', type: 'tool_calls', status: 'completed', step_details: { type: 'tool_calls', tool_calls: [] } }));
}

const find = (report: ImportReport, id: string) => report.entries.filter((e) => e.id === id);

describe('import of assistd’s own layout', () => {
  let dir: string;
  let data: string;
  let store: Store;
  const importInto = (target: Store, project = 'p') => importExport({ store: target, blobs: createLocalBlobStore(join(data, 'files')), dir, project, maxFileBytes: 1024 });

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'assistd-own-export-'));
    data = mkdtempSync(join(tmpdir(), 'assistd-own-data-'));
    writeOwnExport(dir);
    store = createSqliteStore({ path: join(data, 'db.sqlite') });
    await store.migrate();
  });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
    rmSync(data, { recursive: true, force: true });
  });

  test('a group that fails to write leaves none of itself behind', async () => {
    // The store fails the run's insert inside the thread's transaction, as a full disk would.
    const failing: Store = {
      ...store,
      transaction: (fn) => store.transaction((tx) => fn({ ...tx, runs: { ...tx.runs, insert: async () => Promise.reject(new Error('disk full')) } })),
    };
    const report = await importInto(failing);
    assert.equal(find(report, 'thread_own1')[0]?.outcome, 'skipped');
    assert.match(find(report, 'msg_own1').find((e) => e.source === 'messages.jsonl:1')?.reason ?? '', /nothing of its group was: disk full/);
    assert.equal(await store.threads.get('p', 'thread_own1'), undefined);
    assert.equal(await store.messages.get('p', 'msg_own1'), undefined);
    assert.equal(find(report, 'asst_own1')[0]?.outcome, 'imported');
  });

  test('valid objects are imported and each invalid one is reported with its reason', async () => {
    const report = await importInto(store);
    const text = formatReport(report).join('\n');
    assert.deepEqual(find(report, 'thread_own1').map((e) => e.outcome), ['imported']);
    assert.deepEqual(find(report, 'asst_own1').map((e) => e.outcome), ['exists']);
    assert.match(text, /skipped assistant \.\.\/escape \(assistants.jsonl:2\): invalid: id: not a valid id/);
    assert.match(text, /skipped thread.message msg_own1 \(messages.jsonl:2\): a different object with this id came first \(messages.jsonl:1\)/);
    assert.match(text, /skipped thread.message msg_orphan .*thread thread_elsewhere is neither in the export nor in this project/);
    assert.match(text, /skipped thread.run.step step_orphan .*run run_missing is neither in the export nor in this project/);
    assert.match(text, /note \(messages.jsonl:4\): not valid JSON/);
    assert.deepEqual((await store.messages.get('p', 'msg_own1'))?.content, [{ type: 'text', text: { value: 'hi', annotations: [] } }]);
    const imported = await store.runs.get('p', 'run_own1');
    assert.deepEqual([imported?.status, imported?.required_action, imported?.expires_at], ['expired', null, null]);
    assert.deepEqual(await store.threads.get('p', 'thread_own1'), thread);
  });

  test('v1 shapes are stored as v2 objects', async () => {
    const message = await store.messages.get('p', 'msg_v1');
    assert.deepEqual(message?.attachments, [{ file_id: 'file-own1', tools: [{ type: 'code_interpreter' }, { type: 'file_search' }] }]);
    assert.equal('file_ids' in message!, false);
    const assistant = await store.assistants.get('p', 'asst_v1');
    assert.deepEqual([assistant?.tools, assistant?.tool_resources], [[{ type: 'file_search' }], { code_interpreter: { file_ids: ['file-own1'] } }]);
  });

  test('a second import writes nothing', async () => {
    const report = await importInto(store);
    assert.deepEqual(report.entries.filter((e) => e.outcome === 'imported'), []);
  });
});
