import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import OpenAI, { toFile } from 'openai';
import { checkHost } from '../../src/sandbox/host-check.js';
import { defaultSandboxOptions } from '../../src/sandbox/sandbox.js';
import { createTestDatabase } from '../support/postgres.js';
import { startReplica, type Replica } from '../support/replica.js';
import { startTestS3, type TestS3 } from '../support/s3-server.js';
import { script } from '../support/script.js';

// Two replicas with separate data directories that share only Postgres and an S3 bucket: a file uploaded
// through one is read by code_interpreter and file_search on the other, and the other's outputs download
// byte-exact through the first. The upload is large enough to go up as a multipart upload.

const host = checkHost(defaultSandboxOptions);

async function toolCalls(client: OpenAI, run: OpenAI.Beta.Threads.Run) {
  const steps = await client.beta.threads.runs.steps.list(run.id, { thread_id: run.thread_id, order: 'asc' });
  return steps.data.flatMap((s) => (s.step_details.type === 'tool_calls' ? s.step_details.tool_calls : []));
}

describe('replicas sharing only Postgres and object storage', { skip: host.available ? false : host.reason }, () => {
  let s3: TestS3;
  let api: Replica;
  let runner: Replica;
  before(async () => {
    s3 = await startTestS3();
    const url = await createTestDatabase();
    // The first executes no runs, so every run below is executed by the second.
    api = await startReplica(url, { ...s3.env('shared'), ASSISTD_RUN_CAPACITY: '0' });
    runner = await startReplica(url, { ...s3.env('shared'), ASSISTD_CODE_POOL_SIZE: '1' });
  });
  after(async () => {
    api?.kill();
    runner?.kill();
    await s3?.close();
  });

  test('upload through one, code_interpreter on the other, download its output through the first, byte-exact', async () => {
    const bytes = Buffer.from(Array.from({ length: 9 * 1024 * 1024 + 17 }, (_, i) => (i * 7 + (i >> 11)) & 0xff));
    const upload = await api.client.files.create({ file: await toFile(bytes, 'blob.tar'), purpose: 'assistants' });
    assert.equal(upload.bytes, bytes.length);
    assert.deepEqual(existsSync(join(api.dir, 'files')) ? readdirSync(join(api.dir, 'files')) : [], [], 'no bytes in the data directory');

    const assistant = await runner.client.beta.assistants.create({ model: 'scripted', tools: [{ type: 'code_interpreter' }] });
    const code = 'data = open("/mnt/data/blob.tar", "rb").read()\nopen("/mnt/data/reversed.tar", "wb").write(data[::-1])\nprint(len(data))';
    const steps = [{ tool_calls: [{ name: 'code_interpreter', arguments: { code } }] }, { text: 'Here: [reversed](sandbox:/mnt/data/reversed.tar)' }];
    const thread = await runner.client.beta.threads.create({ messages: [{ role: 'user', content: script(steps), attachments: [{ file_id: upload.id, tools: [{ type: 'code_interpreter' }] }] }] });
    const run = await runner.client.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id }, { pollIntervalMs: 50 });
    assert.equal(run.status, 'completed', JSON.stringify(run.last_error));
    const [call] = await toolCalls(runner.client, run);
    assert.ok(call?.type === 'code_interpreter');
    assert.deepEqual(call.code_interpreter.outputs[0], { type: 'logs', logs: `${bytes.length}\n` });

    const [reply] = (await api.client.beta.threads.messages.list(thread.id, { run_id: run.id })).data;
    const annotation = reply?.content[0]?.type === 'text' ? reply.content[0].text.annotations[0] : undefined;
    assert.ok(annotation?.type === 'file_path');
    const output = Buffer.from(await (await api.client.files.content(annotation.file_path.file_id)).arrayBuffer());
    assert.ok(output.equals(Buffer.from(bytes).reverse()), 'the output downloads byte-exact through the other replica');
    // The original, too, streams back through the replica that never had it on disk.
    const original = Buffer.from(await (await runner.client.files.content(upload.id)).arrayBuffer());
    assert.ok(original.equals(bytes));
  });

  test('a file uploaded through one is ingested and searched by a run on the other', async () => {
    const text = 'Project Heron status report.\n\nThe Heron access phrase is AMBER-OTTER-42. It rotates every quarter.\n';
    const upload = await api.client.files.create({ file: await toFile(Buffer.from(text), 'heron.txt'), purpose: 'assistants' });
    const vs = await api.client.vectorStores.create({ name: 'Heron', file_ids: [upload.id] });
    let status = (await api.client.vectorStores.files.retrieve(upload.id, { vector_store_id: vs.id })).status;
    for (let i = 0; i < 300 && status === 'in_progress'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      status = (await api.client.vectorStores.files.retrieve(upload.id, { vector_store_id: vs.id })).status;
    }
    assert.equal(status, 'completed');

    const assistant = await runner.client.beta.assistants.create({ model: 'scripted', tools: [{ type: 'file_search' }], tool_resources: { file_search: { vector_store_ids: [vs.id] } } });
    const steps = [{ tool_calls: [{ name: 'file_search', arguments: { queries: ['Heron access phrase'] } }] }, { text: 'Found it.' }];
    const thread = await runner.client.beta.threads.create({ messages: [{ role: 'user', content: script(steps) }] });
    const run = await runner.client.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id }, { pollIntervalMs: 50 });
    assert.equal(run.status, 'completed', JSON.stringify(run.last_error));
    const step = (await runner.client.beta.threads.runs.steps.list(run.id, { thread_id: thread.id, order: 'asc', include: ['step_details.tool_calls[*].file_search.results[*].content'] })).data[0]!;
    const call = step.step_details.type === 'tool_calls' ? step.step_details.tool_calls[0] : undefined;
    assert.ok(call?.type === 'file_search');
    assert.equal(call.file_search.results?.[0]?.file_id, upload.id);
    assert.match(call.file_search.results?.[0]?.content?.[0]?.text ?? '', /AMBER-OTTER-42/);
  });
});
