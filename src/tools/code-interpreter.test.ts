import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import type { BlobStore } from '../blobs/blob-store.js';
import { createLocalBlobStore } from '../blobs/local-blob-store.js';
import { buildFileObject } from '../domain/file-object.js';
import { ID_PREFIX, newId, nowSeconds } from '../domain/ids.js';
import { buildMessage } from '../domain/messages.js';
import type { Assistant, Run, StepCodeInterpreterToolCall, Thread } from '../domain/types.js';
import { checkHost } from '../sandbox/host-check.js';
import { createSandbox, defaultSandboxOptions, type Sandbox } from '../sandbox/sandbox.js';
import { createStore } from '../store/create-store.js';
import type { Store } from '../store/store.js';
import type { BuiltinTool, ToolContext } from './builtin-tool.js';
import { createCodeInterpreterTool } from './code-interpreter.js';
import { ContainerService } from './containers/container-service.js';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const PROJECT = 'p1';
const host = checkHost(defaultSandboxOptions);

function fakeRun(threadId: string, assistantId: string): Run {
  return {
    id: newId(ID_PREFIX.run), object: 'thread.run', created_at: nowSeconds(), thread_id: threadId, assistant_id: assistantId,
    status: 'in_progress', required_action: null, last_error: null, expires_at: null, started_at: null, cancelled_at: null,
    failed_at: null, completed_at: null, incomplete_details: null, model: 'scripted', instructions: '', tools: [{ type: 'code_interpreter' }],
    metadata: {}, usage: null, temperature: null, top_p: null, max_prompt_tokens: null, max_completion_tokens: null,
    truncation_strategy: { type: 'auto', last_messages: null }, response_format: null, tool_choice: 'auto', parallel_tool_calls: true,
  };
}

describe('code_interpreter tool', { skip: host.available ? false : host.reason }, () => {
  let dir: string;
  let store: Store;
  let blobs: BlobStore;
  let sandbox: Sandbox;
  let tool: BuiltinTool<StepCodeInterpreterToolCall>;

  async function upload(filename: string, text: string): Promise<string> {
    const id = newId(ID_PREFIX.file);
    await blobs.write(id, Readable.from([Buffer.from(text)]), 1e6);
    await store.files.insert(PROJECT, buildFileObject(id, filename, Buffer.byteLength(text), 'assistants'));
    return id;
  }

  /** A thread (and its assistant) whose run can see the given files through every route code_interpreter reads. */
  async function context(files: { assistant?: string[]; thread?: string[]; message?: string[] } = {}): Promise<ToolContext> {
    const assistant: Assistant = {
      id: newId(ID_PREFIX.assistant), object: 'assistant', created_at: nowSeconds(), name: null, description: null, model: 'scripted',
      instructions: null, tools: [{ type: 'code_interpreter' }], tool_resources: { code_interpreter: { file_ids: files.assistant ?? [] } },
      metadata: {}, temperature: null, top_p: null, response_format: null,
    };
    const thread: Thread = {
      id: newId(ID_PREFIX.thread), object: 'thread', created_at: nowSeconds(), metadata: {},
      tool_resources: { code_interpreter: { file_ids: files.thread ?? [] } },
    };
    await store.assistants.insert(PROJECT, assistant);
    await store.threads.insert(PROJECT, thread);
    for (const file_id of files.message ?? []) {
      await store.messages.insert(PROJECT, buildMessage(thread.id, { role: 'user', content: 'see file', attachments: [{ file_id, tools: [{ type: 'code_interpreter' }] }] }));
    }
    const model = { name: 'scripted', provider: 'scripted', contextWindow: 128_000, supportsTools: true, supportsVision: false };
    return { project: PROJECT, run: fakeRun(thread.id, assistant.id), store, blobs, model, signal: new AbortController().signal };
  }

  async function run(ctx: ToolContext, code: string | object, progress: unknown[] = []): Promise<StepCodeInterpreterToolCall> {
    const args = typeof code === 'string' ? JSON.stringify({ code }) : JSON.stringify(code);
    return tool.execute({ id: newId(ID_PREFIX.call), arguments: args }, ctx, (partial) => progress.push(structuredClone(partial)));
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'assistd-ci-tool-'));
    store = createStore({ dataDir: dir });
    await store.migrate();
    blobs = createLocalBlobStore(join(dir, 'files'));
    sandbox = createSandbox({ rootDir: join(tmpdir(), 'assistd-sandbox-test'), poolSize: 1, interruptGraceMs: 300 });
    assert.equal((await sandbox.warmUp()).available, true);
    const containers = new ContainerService({ store, blobs, sandbox, clock: Date.now, maxFileBytes: 1e8 });
    tool = createCodeInterpreterTool({ sandbox, containers, idleMinutes: 30, callTimeoutMs: 1_500 });
  });

  after(async () => {
    await sandbox.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('describes itself with the libraries, /mnt/data and every file the run can read', async () => {
    const a = await upload('data.csv', 'a\n1\n');
    const t = await upload('data.csv', 'b\n2\n');
    const m = await upload('../notes.txt', 'hi');
    const ctx = await context({ assistant: [a], thread: [t, a], message: [m, t] });
    const { function: fn } = await tool.definition(ctx);
    assert.equal(fn.name, 'code_interpreter');
    assert.deepEqual(fn.parameters, { type: 'object', properties: { code: { type: 'string', description: 'The Python code to run.' } }, required: ['code'], additionalProperties: false });
    assert.match(fn.description ?? '', /matplotlib.*scikit-learn/);
    assert.match(fn.description ?? '', /plt\.show\(\)/);
    assert.match(fn.description ?? '', /sandbox:\/mnt\/data\//);
    const listed = (fn.description ?? '').split('\n').filter((line) => line.startsWith('- /mnt/data/'));
    assert.deepEqual(listed, [`- /mnt/data/data.csv (${a})`, `- /mnt/data/data-2.csv (${t})`, `- /mnt/data/notes.txt (${m})`]);
    const seen = await run(ctx, 'print(open("data.csv").read() + open("data-2.csv").read() + open("notes.txt").read())');
    assert.deepEqual(seen.code_interpreter.outputs, [{ type: 'logs', logs: 'a\n1\nb\n2\nhi\n' }]);
  });

  it('leaves out files that are gone, saying so when only the bytes are missing', async () => {
    const kept = await upload('kept.txt', 'k');
    const lost = await upload('lost.txt', 'l');
    await blobs.delete(lost);
    const ctx = await context({ thread: [kept, lost, 'file-doesnotexist'] });
    const call = await run(ctx, 'import os\nprint(sorted(os.listdir(".")))');
    assert.deepEqual(call.code_interpreter.outputs, [{ type: 'logs', logs: `['kept.txt']\n[${lost} (lost.txt) could not be read and is not in /mnt/data]` }]);
  });

  it('turns a chart into a stored PNG and reports progress: input first, outputs after', async () => {
    const ctx = await context();
    const progress: unknown[] = [];
    const code = 'import numpy as np, matplotlib.pyplot as plt\nx = np.linspace(0, 6.3, 100)\nplt.plot(x, np.sin(x))\nplt.show()\nprint("drawn")';
    const call = await run(ctx, code, progress);
    assert.equal(call.code_interpreter.input, code);
    const [logs, image, ...rest] = call.code_interpreter.outputs;
    assert.deepEqual(logs, { type: 'logs', logs: 'drawn\n' });
    assert.equal(image?.type, 'image');
    assert.deepEqual(rest, []);
    const fileId = image.type === 'image' ? image.image.file_id : '';
    const file = await store.files.get(PROJECT, fileId);
    assert.equal(file?.purpose, 'assistants_output');
    assert.equal(file?.filename, 'figure-1.png');
    const bytes = readFileSync(await blobs.localPath(fileId));
    assert.deepEqual(bytes.subarray(0, 8), PNG_SIGNATURE);
    assert.equal(file?.bytes, bytes.length);
    assert.deepEqual(progress, [
      { code_interpreter: { input: code, outputs: [] } },
      { code_interpreter: { input: '', outputs: call.code_interpreter.outputs.map((o, index) => ({ index, ...o })) } },
    ]);

    const replayed = tool.replay(call, 0);
    assert.deepEqual(JSON.parse(replayed.arguments), { code });
    assert.equal(replayed.output, 'drawn\n\n[figure 1 is shown to the user]');
    const touches = tool.messageTouches!([call], 0);
    assert.deepEqual(touches.parts, [{ type: 'image_file', image_file: { file_id: fileId } }]);
    assert.deepEqual(touches.annotate('Here is the sine wave.'), []);
  });

  it('stores files the code writes and annotates links to them from the stored call alone', async () => {
    const ctx = await context();
    const call = await run(ctx, 'import os\nos.makedirs("reports", exist_ok=True)\nopen("out.csv", "w").write("x,y\\n1,2\\n")\nopen("reports/r.txt", "w").write("r")');
    const saved = call.code_interpreter.outputs.at(-1);
    assert.equal(saved?.type, 'logs');
    const ids = [...(saved?.type === 'logs' ? saved.logs.matchAll(/\((file-\w+)\)/g) : [])].map((m) => m[1]!);
    assert.equal(ids.length, 2);
    const files = await Promise.all(ids.map((id) => store.files.get(PROJECT, id)));
    assert.deepEqual(files.map((f) => [f?.filename, f?.purpose]).sort(), [['out.csv', 'assistants_output'], ['reports/r.txt', 'assistants_output']]);
    const csvId = ids[files.findIndex((f) => f?.filename === 'out.csv')]!;
    assert.equal(readFileSync(await blobs.localPath(csvId), 'utf8'), 'x,y\n1,2\n');
    assert.match(tool.replay(call, 0).output, /\[saved \/mnt\/data\/out\.csv; link it as sandbox:\/mnt\/data\/out\.csv\]/);

    const value = 'Done: [Download the CSV](sandbox:/mnt/data/out.csv).';
    const stored = JSON.parse(JSON.stringify(call)) as StepCodeInterpreterToolCall; // as another process reads it back
    assert.deepEqual(tool.messageTouches!([stored], 0).annotate(value), [
      { type: 'file_path', text: 'sandbox:/mnt/data/out.csv', start_index: 25, end_index: 50, file_path: { file_id: csvId } },
    ]);
    assert.equal(value.slice(25, 50), 'sandbox:/mnt/data/out.csv');
  });

  it('keeps state per thread and reports Python errors as logs', async () => {
    const one = await context();
    const two = await context();
    await run(one, 'secret = 41');
    assert.deepEqual((await run(one, 'secret + 1')).code_interpreter.outputs, [{ type: 'logs', logs: '42\n' }]);
    const other = await run(two, 'secret');
    assert.match(other.code_interpreter.outputs[0]?.type === 'logs' ? other.code_interpreter.outputs[0].logs : '', /NameError: name 'secret' is not defined/);
  });

  it('tolerates raw code and reports arguments without code as a value', async () => {
    const ctx = await context();
    const raw = await tool.execute({ id: 'call_raw', arguments: 'print(6 * 7)' }, ctx, () => undefined);
    assert.deepEqual(raw.code_interpreter, { input: 'print(6 * 7)', outputs: [{ type: 'logs', logs: '42\n' }] });
    const empty = await tool.execute({ id: 'call_empty', arguments: '{"code": ""}' }, ctx, () => undefined);
    assert.match(empty.code_interpreter.outputs[0]?.type === 'logs' ? empty.code_interpreter.outputs[0].logs : '', /no code/);
  });

  it('stops a call that runs too long, says so, and runs the next call', async () => {
    const ctx = await context();
    const started = Date.now();
    const slow = await run(ctx, 'print("start", flush=True)\nwhile True:\n    pass');
    assert.ok(Date.now() - started < 6_000);
    const logs = slow.code_interpreter.outputs[0]?.type === 'logs' ? slow.code_interpreter.outputs[0].logs : '';
    assert.match(logs, /^start\n[\s\S]*\[Timeout: execution took longer than 1\.5 s and was stopped; the Python process was restarted/);
    assert.match(tool.replay(slow, 0).output, /Timeout/);
    assert.deepEqual((await run(ctx, '1 + 1')).code_interpreter.outputs, [{ type: 'logs', logs: '2\n' }]);
  });

  it('is available on a host that can run the sandbox', () => {
    assert.equal(tool.unavailable(), undefined);
  });
});

describe('code_interpreter tool without a sandbox', () => {
  it('says what to install', async () => {
    const missing = createSandbox({ bwrapPath: '/nonexistent/bwrap' });
    const dir = mkdtempSync(join(tmpdir(), 'assistd-ci-missing-'));
    const store = createStore({ dataDir: dir });
    const containers = new ContainerService({ store, blobs: createLocalBlobStore(join(dir, 'files')), sandbox: missing, clock: Date.now, maxFileBytes: 1e8 });
    const broken = createCodeInterpreterTool({ sandbox: missing, containers, idleMinutes: 30, callTimeoutMs: 1_000 });
    assert.match(broken.unavailable() ?? '', /apt-get install bubblewrap/);
    await missing.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
});
