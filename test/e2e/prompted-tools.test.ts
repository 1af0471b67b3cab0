import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import OpenAI, { toFile } from 'openai';
import { loadConfig } from '../../src/config.js';
import { checkHost } from '../../src/sandbox/host-check.js';
import { defaultSandboxOptions } from '../../src/sandbox/sandbox.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { reply, startChatUpstream, type ChatUpstream, type RecordedRequest } from '../support/chat-upstream.js';

// Function calling on models without native tools, through the official SDK: the upstream answers 400 to any
// request with `tools`, so the server describes the tools in the prompt and parses the calls from the reply.

const weather = {
  type: 'function' as const,
  function: { name: 'get_weather', description: 'Weather for a city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
};
const callText = '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call>';

describe('prompted tool calling', () => {
  let upstream: ChatUpstream;
  let server: RunningServer;
  let client: OpenAI;
  let dir: string;

  before(async () => {
    upstream = await startChatUpstream({ rejectTools: true });
    dir = mkdtempSync(join(tmpdir(), 'assistd-prompted-'));
    const route = (name: string, extra: Record<string, unknown> = {}) => ({ name, provider: 'openai-compatible', base_url: upstream.baseURL, ...extra });
    const models = [route('no-tools', { supports_tools: false }), route('learns')];
    server = await startServer(loadConfig({ port: 0, host: '127.0.0.1', data_dir: dir, models, code_pool_size: 0, shutdown_grace_seconds: 0 }, {}));
    client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'none', maxRetries: 0 });
  });
  after(async () => {
    await server.close();
    await upstream.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const roles = (req: RecordedRequest) => req.body.messages.map((m: { role: string }) => m.role);

  test('supports_tools: false: requires_action with the call, outputs submitted, completed; tools never sent', async () => {
    const mark = upstream.requests.length;
    upstream.enqueue(reply.text(`Let me look. ${callText}`, { textChunkChars: 6 }), reply.text('It is sunny in Paris.'));
    const assistant = await client.beta.assistants.create({ model: 'no-tools', instructions: 'Be brief.', tools: [weather] });
    const thread = await client.beta.threads.create({ messages: [{ role: 'user', content: 'Weather in Paris?' }] });
    const run = await client.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id }, { pollIntervalMs: 20 });
    assert.equal(run.status, 'requires_action', JSON.stringify(run.last_error));
    const calls = run.required_action!.submit_tool_outputs.tool_calls;
    assert.equal(calls.length, 1);
    assert.equal(calls[0]!.function.name, 'get_weather');
    assert.deepEqual(JSON.parse(calls[0]!.function.arguments), { city: 'Paris' });

    const done = await client.beta.threads.runs.submitToolOutputsAndPoll(run.id, { thread_id: thread.id, tool_outputs: [{ tool_call_id: calls[0]!.id, output: '22C and sunny' }] }, { pollIntervalMs: 20 });
    assert.equal(done.status, 'completed', JSON.stringify(done.last_error));
    const messages = await client.beta.threads.messages.list(thread.id, { order: 'asc' });
    const texts = messages.data.map((m) => (m.content[0]?.type === 'text' ? m.content[0].text.value : ''));
    assert.deepEqual(texts, ['Weather in Paris?', 'Let me look. ', 'It is sunny in Paris.']);

    const sent = upstream.requests.slice(mark);
    assert.equal(sent.length, 2);
    assert.ok(sent.every((r) => r.body.tools === undefined && r.body.tool_choice === undefined));
    assert.match(sent[0]!.body.messages[0].content, /^Be brief\.\n\n# Tools[\s\S]*"name":"get_weather"/);
    assert.deepEqual(roles(sent[1]!), ['system', 'user', 'assistant', 'user']);
    assert.match(sent[1]!.body.messages[2].content, /^Let me look\. ?\n<tool_call>\n\{"name": "get_weather", "arguments": \{"city":"Paris"\}\}/);
    assert.match(sent[1]!.body.messages[3].content, /<tool_result name="get_weather" call_id="call_[^"]+">\n22C and sunny\n<\/tool_result>/);
  });

  test('file_search on a model without tools: the call is run server-side and its results reach the model', async () => {
    const file = await client.files.create({ file: await toFile(Buffer.from('The launch code for project Kestrel is 7Q4-ZEBRA-19.'), 'kestrel.txt'), purpose: 'assistants' });
    let store = await client.vectorStores.create({ name: 'briefs', file_ids: [file.id] });
    while (store.status === 'in_progress') {
      await new Promise((r) => setTimeout(r, 20));
      store = await client.vectorStores.retrieve(store.id);
    }
    assert.equal(store.file_counts.completed, 1);
    const mark = upstream.requests.length;
    upstream.enqueue(reply.text('<tool_call>{"name": "file_search", "arguments": {"queries": ["Kestrel launch code"]}}</tool_call>'), reply.text('The code is 7Q4-ZEBRA-19.'));
    const assistant = await client.beta.assistants.create({ model: 'no-tools', tools: [{ type: 'file_search' }], tool_resources: { file_search: { vector_store_ids: [store.id] } } });
    const thread = await client.beta.threads.create({ messages: [{ role: 'user', content: 'What is the Kestrel launch code?' }] });
    const run = await client.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id }, { pollIntervalMs: 20 });
    assert.equal(run.status, 'completed', JSON.stringify(run.last_error));
    const steps = await client.beta.threads.runs.steps.list(run.id, { thread_id: thread.id, order: 'asc' });
    const calls = steps.data.flatMap((st) => (st.step_details.type === 'tool_calls' ? st.step_details.tool_calls : []));
    assert.deepEqual(calls.map((c) => c.type), ['file_search']);
    const second = upstream.requests[mark + 1]!;
    assert.ok(second.body.tools === undefined);
    assert.match(second.body.messages.at(-1).content, /<tool_result name="file_search"[\s\S]*7Q4-ZEBRA-19/);
  });

  test('code_interpreter on a model without tools: the code runs in the sandbox', { skip: checkHost(defaultSandboxOptions).reason ?? false }, async () => {
    const mark = upstream.requests.length;
    upstream.enqueue(reply.text('<tool_call>{"name": "code_interpreter", "arguments": {"code": "print(6 * 7)"}}</tool_call>'), reply.text('The answer is 42.'));
    const assistant = await client.beta.assistants.create({ model: 'no-tools', tools: [{ type: 'code_interpreter' }] });
    const thread = await client.beta.threads.create({ messages: [{ role: 'user', content: 'What is 6 times 7?' }] });
    const run = await client.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id }, { pollIntervalMs: 20 });
    assert.equal(run.status, 'completed', JSON.stringify(run.last_error));
    const steps = await client.beta.threads.runs.steps.list(run.id, { thread_id: thread.id, order: 'asc' });
    const calls = steps.data.flatMap((st) => (st.step_details.type === 'tool_calls' ? st.step_details.tool_calls : []));
    assert.equal(calls.length, 1);
    const call = calls[0]!;
    assert.ok(call.type === 'code_interpreter');
    assert.equal(call.code_interpreter.input, 'print(6 * 7)');
    assert.deepEqual(call.code_interpreter.outputs, [{ type: 'logs', logs: '42\n' }]);
    assert.match(upstream.requests[mark + 1]!.body.messages.at(-1).content, /<tool_result name="code_interpreter"[\s\S]*42/);
  });

  test('an upstream that answers 400 to tools: the streamed run falls back to prompting, and the model is remembered', async () => {
    const mark = upstream.requests.length;
    upstream.enqueue(reply.text(callText, { textChunkChars: 5 }), reply.text('Sunny, 22 degrees, in Paris today.'));
    const assistant = await client.beta.assistants.create({ model: 'learns', tools: [weather] });
    const thread = await client.beta.threads.create({ messages: [{ role: 'user', content: 'Weather in Paris?' }] });
    const stream = client.beta.threads.runs.stream(thread.id, { assistant_id: assistant.id });
    const paused = await stream.finalRun();
    assert.equal(paused.status, 'requires_action', JSON.stringify(paused.last_error));
    const call = paused.required_action!.submit_tool_outputs.tool_calls[0]!;
    assert.deepEqual([call.function.name, JSON.parse(call.function.arguments)], ['get_weather', { city: 'Paris' }]);
    assert.equal(upstream.requests[mark]!.body.tools.length, 1, 'tools were tried natively first');

    const deltas: string[] = [];
    const resumed = client.beta.threads.runs.submitToolOutputsStream(paused.id, { thread_id: thread.id, tool_outputs: [{ tool_call_id: call.id, output: '22C' }] });
    resumed.on('textDelta', (delta) => deltas.push(delta.value ?? ''));
    const done = await resumed.finalRun();
    assert.equal(done.status, 'completed', JSON.stringify(done.last_error));
    assert.ok(deltas.length > 1, 'the answer streamed in several deltas');
    assert.equal(deltas.join(''), 'Sunny, 22 degrees, in Paris today.');
    const later = upstream.requests.slice(mark + 1);
    assert.equal(later.length, 2);
    assert.ok(later.every((r) => r.body.tools === undefined), 'no second try with tools once rejected');
  });
});
