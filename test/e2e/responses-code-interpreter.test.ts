import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import OpenAI from 'openai';
import { checkHost } from '../../src/sandbox/host-check.js';
import { defaultSandboxOptions } from '../../src/sandbox/sandbox.js';
import { startTestServer, type TestServer } from '../support/server.js';

// code_interpreter in the Responses API through the official SDK, with the scripted model and the real sandbox:
// charts as image outputs, files the code writes as container files cited in the answer, state kept along a
// conversation and in a shared container, a fresh container after expiry (on a clock the test moves), memory
// limits, and the streamed events.

type CodeCall = OpenAI.Responses.ResponseCodeInterpreterToolCall;
type Tool = OpenAI.Responses.Tool;

const host = checkHost(defaultSandboxOptions);
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const AUTO: Tool[] = [{ type: 'code_interpreter', container: { type: 'auto' } }];

/** A prompt whose script makes the model run `code`, then answer `text` (templates see the tool's output). */
function runCode(code: string, text = 'Output: {{tool_output.0}}'): string {
  const steps = [{ tool_calls: [{ name: 'code_interpreter', arguments: { code } }] }, { text }];
  return `Please compute.\n\`\`\`script\n${JSON.stringify(steps)}\n\`\`\``;
}

function callOf(response: OpenAI.Responses.Response): CodeCall {
  const call = response.output.find((item): item is CodeCall => item.type === 'code_interpreter_call');
  assert.ok(call, JSON.stringify(response.output));
  return call;
}

function logsOf(call: CodeCall): string {
  return (call.outputs ?? []).flatMap((o) => (o.type === 'logs' ? [o.logs] : [])).join('\n');
}

describe('responses code_interpreter', { skip: host.available ? false : host.reason }, () => {
  let server: TestServer;
  let client: OpenAI;
  let now = Date.now();

  before(async () => {
    // Warm workers with the memory of a default ('1g') container, so new containers start from the pool.
    server = await startTestServer({ ASSISTD_CODE_POOL_SIZE: '2', ASSISTD_CODE_MEMORY_MB: '1024' }, undefined, { clock: () => now });
    client = server.openai();
  });
  after(() => server.close());

  test('a chart comes back as an image output and a CSV as a cited, downloadable container file', async () => {
    const code = [
      'import matplotlib.pyplot as plt',
      'plt.plot([1, 2, 3], [2, 4, 1])',
      'plt.show()',
      "open('/mnt/data/report.csv', 'w', newline='').write('city,temp\\nOslo,-3\\nLima,19\\n')",
      "print('wrote report.csv')",
    ].join('\n');
    const answer = 'Here is [the report](sandbox:/mnt/data/report.csv).';
    const response = await client.responses.create({ model: 'scripted', input: runCode(code, answer), tools: AUTO, include: ['code_interpreter_call.outputs'] });
    assert.equal(response.status, 'completed', JSON.stringify(response.error));
    const call = callOf(response);
    assert.match(call.id, /^ci_/);
    assert.match(call.container_id, /^cntr_/);
    assert.equal(call.status, 'completed');
    assert.equal(call.code, code);
    assert.match(logsOf(call), /wrote report\.csv/);
    const image = call.outputs!.find((o) => o.type === 'image');
    assert.ok(image && image.type === 'image');
    const [, base64] = image.url.split('data:image/png;base64,');
    assert.ok(Buffer.from(base64!, 'base64').subarray(0, 8).equals(PNG_SIGNATURE));

    const message = response.output.at(-1) as OpenAI.Responses.ResponseOutputMessage;
    const part = message.content[0] as OpenAI.Responses.ResponseOutputText;
    assert.equal(part.text, answer);
    const files = await client.containers.files.list(call.container_id);
    const csv = files.data.find((f) => f.path === '/mnt/data/report.csv');
    assert.ok(csv, JSON.stringify(files.data));
    assert.equal(csv.source, 'assistant');
    const link = 'sandbox:/mnt/data/report.csv';
    const start = answer.indexOf(link);
    assert.deepEqual(part.annotations, [{ type: 'container_file_citation', container_id: call.container_id, file_id: csv.id, filename: 'report.csv', start_index: start, end_index: start + link.length }]);
    const bytes = Buffer.from(await (await client.containers.files.content.retrieve(csv.id, { container_id: call.container_id })).arrayBuffer());
    assert.equal(bytes.toString(), 'city,temp\nOslo,-3\nLima,19\n');
    assert.deepEqual(await client.responses.retrieve(response.id, { include: ['code_interpreter_call.outputs'] }), response);

    const plain = await client.responses.create({ model: 'scripted', input: runCode('1 + 1'), tools: AUTO });
    assert.equal(callOf(plain).outputs, null);
    assert.equal(plain.output_text.trim(), 'Output: 2');
  });

  test('a response later in the conversation sees the variables of the first; no container until code runs', async () => {
    const before = (await client.containers.list({ limit: 100 })).data.length;
    const conversation = await client.conversations.create();
    const idle = await client.responses.create({ model: 'scripted', input: 'Hello there', tools: AUTO, conversation: conversation.id });
    assert.equal(idle.output_text.trim(), 'You said: Hello there');
    assert.equal((await client.containers.list({ limit: 100 })).data.length, before);
    const first = await client.responses.create({ model: 'scripted', input: runCode('x = 41'), tools: AUTO, conversation: conversation.id });
    const second = await client.responses.create({ model: 'scripted', input: runCode('print(x + 1)'), tools: AUTO, conversation: conversation.id });
    assert.equal(second.output_text.trim(), 'Output: 42');
    assert.equal(callOf(second).container_id, callOf(first).container_id);
    // A chain of previous_response_id continues the same container.
    const third = await client.responses.create({ model: 'scripted', input: runCode('print(x * 2)'), tools: AUTO, previous_response_id: second.id });
    assert.equal(third.output_text.trim(), 'Output: 82');
    assert.equal(callOf(third).container_id, callOf(first).container_id);
  });

  test('an explicit container is shared by two unrelated responses', async () => {
    const container = await client.containers.create({ name: 'shared' });
    const tools: Tool[] = [{ type: 'code_interpreter', container: container.id }];
    const a = await client.responses.create({ model: 'scripted', input: runCode("shared = 'from A'"), tools });
    const b = await client.responses.create({ model: 'scripted', input: runCode('print(shared)'), tools });
    assert.equal(callOf(a).container_id, container.id);
    assert.equal(b.output_text.trim(), 'Output: from A');
    assert.deepEqual(b.tools, tools);
    await assert.rejects(
      client.responses.create({ model: 'scripted', input: 'hi', tools: [{ type: 'code_interpreter', container: 'cntr_missing' }] }),
      (err: unknown) => err instanceof OpenAI.NotFoundError,
    );
  });

  test('after the container expired, the conversation goes on in a fresh one and the model is told', async () => {
    const conversation = await client.conversations.create();
    const first = await client.responses.create({ model: 'scripted', input: runCode('y = 7'), tools: AUTO, conversation: conversation.id });
    const old = callOf(first).container_id;
    now += 21 * 60_000;
    assert.equal((await client.containers.retrieve(old)).status, 'expired');
    const second = await client.responses.create({ model: 'scripted', input: runCode("print('y' in globals())"), tools: AUTO, conversation: conversation.id });
    assert.equal(second.status, 'completed');
    assert.notEqual(callOf(second).container_id, old);
    assert.match(second.output_text, new RegExp(`Container ${old} has expired`));
    assert.match(second.output_text.trim(), /False$/);
  });

  test('memory_limit bounds the container', async () => {
    const allocate = "import numpy as np\na = np.zeros(1536 * 2**20, dtype=np.uint8)\nprint('allocated', a.nbytes)";
    const small = await client.responses.create({ model: 'scripted', input: runCode(allocate), tools: [{ type: 'code_interpreter', container: { type: 'auto', memory_limit: '1g' } }], include: ['code_interpreter_call.outputs'] });
    assert.match(logsOf(callOf(small)), /MemoryError/);
    const big = await client.responses.create({ model: 'scripted', input: runCode(allocate), tools: [{ type: 'code_interpreter', container: { type: 'auto', memory_limit: '4g' } }] });
    assert.equal(big.output_text.trim(), `Output: allocated ${1536 * 2 ** 20}`);
    assert.equal((await client.containers.retrieve(callOf(big).container_id)).memory_limit, '4g');
  });

  test('streamed events come in the hosted order and add up to the stored response', async () => {
    const code = "open('/mnt/data/s.txt', 'w').write('hi')\nprint('hi')";
    const stream = client.responses.stream({ model: 'scripted', input: runCode(code, 'Output: {{tool_output.0}} Saved [s](sandbox:/mnt/data/s.txt).'), tools: AUTO });
    const types: string[] = [];
    for await (const event of stream) types.push(event.type);
    const final = await stream.finalResponse();
    const callEvents = types.filter((t) => t.includes('code_interpreter') || (t.startsWith('response.output_item') && types.indexOf(t) < types.indexOf('response.code_interpreter_call.completed') + 2));
    assert.deepEqual(callEvents.slice(0, 7), [
      'response.output_item.added',
      'response.code_interpreter_call.in_progress',
      'response.code_interpreter_call_code.delta',
      'response.code_interpreter_call_code.done',
      'response.code_interpreter_call.interpreting',
      'response.code_interpreter_call.completed',
      'response.output_item.done',
    ]);
    assert.equal(types[0], 'response.created');
    assert.equal(types.at(-1), 'response.completed');
    assert.match(final.output_text, /^Output: hi/);
    assert.ok(types.indexOf('response.output_text.annotation.added') > types.indexOf('response.code_interpreter_call.completed'));
    const part = (final.output.at(-1) as OpenAI.Responses.ResponseOutputMessage).content[0] as OpenAI.Responses.ResponseOutputText;
    assert.equal(part.annotations[0]?.type, 'container_file_citation');
    assert.deepEqual(JSON.parse(JSON.stringify(await client.responses.retrieve(final.id))), JSON.parse(JSON.stringify(final, (k, v) => (['parsed', 'parsed_arguments', 'output_parsed'].includes(k) ? undefined : v))));
  });

  test("an assistant thread's code session is a container the API does not show", async () => {
    const assistant = await client.beta.assistants.create({ model: 'scripted', tools: [{ type: 'code_interpreter' }] });
    const thread = await client.beta.threads.create();
    const turn = async (code: string) => {
      await client.beta.threads.messages.create(thread.id, { role: 'user', content: runCode(code) });
      const run = await client.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id }, { pollIntervalMs: 25 });
      assert.equal(run.status, 'completed', JSON.stringify(run.last_error));
      const [reply] = (await client.beta.threads.messages.list(thread.id, { run_id: run.id })).data;
      return reply!.content.map((c) => (c.type === 'text' ? c.text.value : '')).join('').trim();
    };
    const hidden = async () => (await server.store.containers.list('default', { limit: 10, order: 'desc' }, { thread_id: thread.id })).data;
    await turn('z = 5');
    assert.equal(await turn('print(z * 2)'), 'Output: 10');
    const [session] = await hidden();
    assert.ok(session, 'the thread has a container');
    assert.ok(!(await client.containers.list({ limit: 100 })).data.some((c) => c.id === session.id));
    await assert.rejects(client.containers.retrieve(session.id), (err: unknown) => err instanceof OpenAI.NotFoundError);

    // Idle past code_session_idle_seconds, the thread's next call gets a fresh session.
    now += 31 * 60_000;
    assert.match(await turn("print('z' in globals())"), /False$/);
    const [fresh] = await hidden();
    assert.notEqual(fresh!.id, session.id);
    assert.equal((await hidden()).length, 1);
    await client.beta.threads.delete(thread.id);
    assert.deepEqual(await hidden(), []);
  });
});
