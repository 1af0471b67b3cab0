import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import OpenAI, { toFile } from 'openai';
import { checkHost } from '../../src/sandbox/host-check.js';
import { processesOfUid } from '../../src/sandbox/proc-scan.js';
import { defaultSandboxOptions } from '../../src/sandbox/sandbox.js';
import { startTestServer, type TestServer } from '../support/server.js';

// The seed walkthrough for code_interpreter, end to end through the SDK with the scripted model and the real
// sandbox: charts out as PNG files, state kept per thread, files in and out with annotations, timeouts.

type Message = OpenAI.Beta.Threads.Message;
type CodeCall = OpenAI.Beta.Threads.Runs.CodeInterpreterToolCall;

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const host = checkHost(defaultSandboxOptions);

/** A user message whose script makes the model call code_interpreter with `code`, then answer `text`. */
function codeTurn(prompt: string, code: string, text = 'Done: {{tool_output.0}}'): string {
  const steps = [{ tool_calls: [{ name: 'code_interpreter', arguments: { code } }] }, { text }];
  return `${prompt}\n\`\`\`script\n${JSON.stringify(steps)}\n\`\`\``;
}

function textOf(message: Message): string {
  return message.content.map((c) => (c.type === 'text' ? c.text.value : '')).join('');
}

async function download(client: OpenAI, fileId: string): Promise<Buffer> {
  return Buffer.from(await (await client.files.content(fileId)).arrayBuffer());
}

describe('code_interpreter end to end', { skip: host.available ? false : host.reason }, () => {
  let server: TestServer;
  let client: OpenAI;
  let assistantId: string;

  /** Adds the user turn, runs the assistant to the end and returns the run, its code calls and its reply. */
  async function turn(threadId: string, content: string, attachments?: OpenAI.Beta.Threads.MessageCreateParams['attachments']) {
    await client.beta.threads.messages.create(threadId, { role: 'user', content, ...(attachments ? { attachments } : {}) });
    const run = await client.beta.threads.runs.createAndPoll(threadId, { assistant_id: assistantId }, { pollIntervalMs: 25 });
    assert.equal(run.status, 'completed', JSON.stringify(run.last_error));
    const steps = await client.beta.threads.runs.steps.list(run.id, { thread_id: threadId, order: 'asc' });
    const calls = steps.data.flatMap((s) => (s.step_details.type === 'tool_calls' ? s.step_details.tool_calls : []));
    const messages = await client.beta.threads.messages.list(threadId, { run_id: run.id });
    return { run, calls: calls.filter((c): c is CodeCall => c.type === 'code_interpreter'), reply: messages.data[0]! };
  }

  function logsOf(call: CodeCall): string {
    return call.code_interpreter.outputs.flatMap((o) => (o.type === 'logs' ? [o.logs] : [])).join('\n');
  }

  before(async () => {
    server = await startTestServer({ ASSISTD_CODE_POOL_SIZE: '2', ASSISTD_CODE_OUTPUT_MB_PER_CALL: '5' });
    client = server.openai();
    const assistant = await client.beta.assistants.create({
      model: 'scripted',
      name: 'Data visualizer',
      instructions: 'You are great at creating beautiful data visualizations.',
      tools: [{ type: 'code_interpreter' }],
    });
    assistantId = assistant.id;
  });
  after(() => server.close());

  test('/readyz reports the sandbox', async () => {
    const ready = (await (await fetch(`${server.url}/readyz`)).json()) as { status: string; checks: Array<{ name: string; ok: boolean; detail?: string }> };
    assert.equal(ready.status, 'ready');
    const check = ready.checks.find((c) => c.name === 'sandbox');
    assert.equal(check?.ok, true);
    // This host (root, cgroups) bounds each session by a cgroup; elsewhere the detail says rlimits only.
    assert.match(check?.detail ?? '', /^one cgroup v[12] \(/);
  });

  test('a sine wave comes back as a downloadable PNG, and the session keeps its variables', async () => {
    const thread = await client.beta.threads.create();
    const code = [
      'import numpy as np',
      'import matplotlib.pyplot as plt',
      'x = np.linspace(0, 4 * np.pi, 400)',
      'y = np.sin(x)',
      'plt.plot(x, y)',
      'plt.title("Sine wave")',
      'plt.show()',
    ].join('\n');
    const { calls, reply } = await turn(thread.id, codeTurn('Create a visualization of a sinewave', code, 'Here is a sine wave.'));

    assert.equal(calls.length, 1);
    const call = calls[0]!;
    assert.equal(call.code_interpreter.input, code);
    const images = call.code_interpreter.outputs.flatMap((o) => (o.type === 'image' ? [o.image.file_id] : []));
    assert.equal(images.length, 1);
    const imagePart = reply.content.find((c) => c.type === 'image_file');
    assert.ok(imagePart && imagePart.type === 'image_file', JSON.stringify(reply.content));
    assert.equal(imagePart.image_file.file_id, images[0]);
    assert.equal(textOf(reply), 'Here is a sine wave.');
    const file = await client.files.retrieve(images[0]!);
    assert.equal(file.purpose, 'assistants_output');
    const png = await download(client, file.id);
    assert.deepEqual(png.subarray(0, 8), PNG_SIGNATURE);
    assert.equal(png.length, file.bytes);

    const followUp = await turn(thread.id, codeTurn('show me the code', 'print(len(y), round(float(y.max()), 3))', 'Values: {{tool_output.0}}'));
    assert.equal(logsOf(followUp.calls[0]!), '400 1.0\n');
    assert.match(textOf(followUp.reply), /Values: 400 1\.0/);
  });

  test('the step streams its input first and its outputs when done', async () => {
    const thread = await client.beta.threads.create();
    const code = 'print(6 * 7)';
    await client.beta.threads.messages.create(thread.id, { role: 'user', content: codeTurn('compute', code) });
    const deltas: OpenAI.Beta.Threads.Runs.CodeInterpreterToolCallDelta[] = [];
    const stream = client.beta.threads.runs.stream(thread.id, { assistant_id: assistantId });
    stream.on('runStepDelta', (delta) => {
      const details = delta.step_details;
      if (details?.type !== 'tool_calls') return;
      // A copy: the SDK keeps a step's first delta as its snapshot and appends later deltas into that object.
      for (const c of details.tool_calls ?? []) if (c.type === 'code_interpreter') deltas.push(structuredClone(c));
    });
    const run = await stream.finalRun();
    assert.equal(run.status, 'completed');
    const inputs = deltas.map((d) => d.code_interpreter?.input ?? '').join('');
    assert.equal(inputs, code);
    const outputs = deltas.flatMap((d) => d.code_interpreter?.outputs ?? []);
    assert.deepEqual(outputs.map((o) => (o.type === 'logs' ? o.logs : o.type)), ['42\n']);
    const firstOutput = deltas.findIndex((d) => (d.code_interpreter?.outputs?.length ?? 0) > 0);
    const firstInput = deltas.findIndex((d) => (d.code_interpreter?.input ?? '') !== '');
    assert.ok(firstInput >= 0 && firstInput < firstOutput, 'the input arrives before the outputs');
  });

  test('an attached file is in /mnt/data; a written file is linked with an exact file_path annotation', async () => {
    const upload = await client.files.create({ file: await toFile(Buffer.from('n\n1\n2\n3\n'), 'numbers.csv'), purpose: 'assistants' });
    const thread = await client.beta.threads.create();
    const read = await turn(
      thread.id,
      codeTurn('Sum the numbers', 'import pandas as pd\nprint(pd.read_csv("/mnt/data/numbers.csv").n.sum())'),
      [{ file_id: upload.id, tools: [{ type: 'code_interpreter' }] }],
    );
    assert.equal(logsOf(read.calls[0]!), '6\n');

    const text = 'Your file: [Download the CSV](sandbox:/mnt/data/out.csv)';
    const write = await turn(thread.id, codeTurn('Write it out', 'pd.DataFrame({"n": [1, 2, 3], "sq": [1, 4, 9]}).to_csv("/mnt/data/out.csv", index=False)', text));
    const part = write.reply.content.find((c) => c.type === 'text');
    assert.ok(part && part.type === 'text');
    assert.equal(part.text.value, text);
    assert.equal(part.text.annotations.length, 1);
    const annotation = part.text.annotations[0]!;
    assert.equal(annotation.type, 'file_path');
    assert.equal(annotation.text, 'sandbox:/mnt/data/out.csv');
    assert.equal(text.slice(annotation.start_index, annotation.end_index), annotation.text);
    const fileId = annotation.type === 'file_path' ? annotation.file_path.file_id : '';
    assert.equal((await download(client, fileId)).toString(), 'n,sq\n1,1\n2,4\n3,9\n');
    assert.equal((await client.files.retrieve(fileId)).purpose, 'assistants_output');
  });

  test('output files named outside Latin-1 download with an RFC 6266 content-disposition', async () => {
    const names = ['数据.csv', 'Отчёт.md', 'report-😀.txt'];
    const code = `for name in ${JSON.stringify(names)}:\n    open("/mnt/data/" + name, "w").write("x")`;
    const text = names.map((name) => `[${name}](sandbox:/mnt/data/${name})`).join(' ');
    const { reply } = await turn((await client.beta.threads.create()).id, codeTurn('Write three files', code, text));
    const part = reply.content.find((c) => c.type === 'text');
    assert.ok(part && part.type === 'text');
    const ids = part.text.annotations.flatMap((a) => (a.type === 'file_path' ? [a.file_path.file_id] : []));
    assert.equal(ids.length, names.length);
    for (const id of ids) {
      const file = await client.files.retrieve(id);
      const response = await fetch(`${server.url}/v1/files/${id}/content`);
      assert.equal(response.status, 200, file.filename);
      assert.equal(await response.text(), 'x');
      const disposition = response.headers.get('content-disposition')!;
      assert.equal(decodeURIComponent(disposition.split("filename*=UTF-8''")[1]!), file.filename);
      assert.ok(names.includes(file.filename.split('/').pop()!), file.filename);
    }
  });

  test('output files past the per-call cap are not stored, and the step says which', async () => {
    const thread = await client.beta.threads.create();
    const code = 'for i in range(4):\n    open(f"/mnt/data/part{i}.bin", "wb").write(bytes(2 * 1024 * 1024))';
    const { calls } = await turn(thread.id, codeTurn('write four parts', code));
    const listing = calls[0]!.code_interpreter.outputs.flatMap((o) => (o.type === 'logs' ? [o.logs] : []));
    assert.match(listing.join('\n'), /\/mnt\/data\/part0\.bin \(file-[^)]+\)\n\/mnt\/data\/part1\.bin \(file-/);
    assert.doesNotMatch(listing.join('\n'), /part2\.bin \(file-/);
    assert.match(logsOf(calls[0]!), /\/mnt\/data\/part2\.bin \(2 MiB\) was not saved: the cap of 5 MiB of files per call was reached/);
  });

  test('deleting a thread ends its code session at once', async () => {
    const thread = await client.beta.threads.create();
    const { calls } = await turn(thread.id, codeTurn('who am i', 'import os\nos.getuid()'));
    const uid = Number(logsOf(calls[0]!).trim());
    assert.ok(processesOfUid(uid).length > 0, 'the session runs');
    await client.beta.threads.delete(thread.id);
    assert.deepEqual(processesOfUid(uid), []);
  });

  test('two threads do not see each other’s variables or files', async () => {
    const [one, two] = await Promise.all([client.beta.threads.create(), client.beta.threads.create()]);
    await turn(one.id, codeTurn('remember', 'secret = "alpha"\nopen("mine.txt", "w").write("alpha")'));
    const peek = await turn(two.id, codeTurn('peek', 'import os\nprint("secret" in globals(), os.path.exists("/mnt/data/mine.txt"))'));
    assert.equal(logsOf(peek.calls[0]!), 'False False\n');
    const own = await turn(one.id, codeTurn('recall', 'print(secret, open("mine.txt").read())'));
    assert.match(logsOf(own.calls[0]!), /^alpha alpha\n/);
  });
  test('cancelling a run while its code runs stops the code at once; the thread takes a new run', async () => {
    const thread = await client.beta.threads.create({ messages: [{ role: 'user', content: codeTurn('wait', 'import time\nprint("started", flush=True)\ntime.sleep(60)') }] });
    const run = await client.beta.threads.runs.create(thread.id, { assistant_id: assistantId });
    let seen = run;
    // Wait until the code is running: its step exists and is in progress.
    for (let i = 0; i < 400; i++) {
      const steps = await client.beta.threads.runs.steps.list(run.id, { thread_id: thread.id });
      if (steps.data.some((s) => s.type === 'tool_calls')) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    await new Promise((r) => setTimeout(r, 300));
    const asked = Date.now();
    await client.beta.threads.runs.cancel(run.id, { thread_id: thread.id });
    while (!['cancelled', 'failed', 'completed'].includes(seen.status) && Date.now() - asked < 20_000) {
      await new Promise((r) => setTimeout(r, 50));
      seen = await client.beta.threads.runs.retrieve(run.id, { thread_id: thread.id });
    }
    assert.equal(seen.status, 'cancelled');
    assert.ok(Date.now() - asked < 5000, `took ${Date.now() - asked} ms`);
    const steps = await client.beta.threads.runs.steps.list(run.id, { thread_id: thread.id });
    assert.deepEqual(steps.data.map((s) => s.status), ['cancelled']);
    const next = await turn(thread.id, codeTurn('again', 'print("alive")'));
    assert.match(logsOf(next.calls[0]!), /alive/);
  });
});

describe('code_interpreter timeouts end to end', { skip: host.available ? false : host.reason }, () => {
  let server: TestServer;
  let client: OpenAI;
  before(async () => {
    server = await startTestServer({ ASSISTD_CODE_TIMEOUT_SECONDS: '1', ASSISTD_CODE_POOL_SIZE: '0' });
    client = server.openai();
  });
  after(() => server.close());

  test('a call that runs too long is stopped with a message, and the next call works', async () => {
    const assistant = await client.beta.assistants.create({ model: 'scripted', tools: [{ type: 'code_interpreter' }] });
    const thread = await client.beta.threads.create({ messages: [{ role: 'user', content: codeTurn('spin', 'while True:\n    pass', 'Stopped: {{tool_output.0}}') }] });
    const run = await client.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id }, { pollIntervalMs: 25 });
    assert.equal(run.status, 'completed', JSON.stringify(run.last_error));
    const steps = await client.beta.threads.runs.steps.list(run.id, { thread_id: thread.id });
    const call = steps.data.flatMap((s) => (s.step_details.type === 'tool_calls' ? s.step_details.tool_calls : []))[0] as CodeCall;
    const logs = call.code_interpreter.outputs.map((o) => (o.type === 'logs' ? o.logs : '')).join('');
    assert.match(logs, /\[Timeout: execution took longer than 1 s and was stopped/);
    const reply = (await client.beta.threads.messages.list(thread.id, { run_id: run.id })).data[0]!;
    assert.match(textOf(reply), /Stopped: [\s\S]*Timeout/);

    await client.beta.threads.messages.create(thread.id, { role: 'user', content: codeTurn('again', 'print("alive")', '{{tool_output.0}}') });
    const next = await client.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id }, { pollIntervalMs: 25 });
    assert.equal(next.status, 'completed');
    assert.match(textOf((await client.beta.threads.messages.list(thread.id, { run_id: next.id })).data[0]!), /alive/);
  });
});
