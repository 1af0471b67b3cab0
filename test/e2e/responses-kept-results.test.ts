import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import OpenAI, { toFile } from 'openai';
import { checkHost } from '../../src/sandbox/host-check.js';
import { defaultSandboxOptions } from '../../src/sandbox/sandbox.js';
import { startTestServer, type TestServer } from '../support/server.js';

// A file_search call's results and a code_interpreter call's outputs are kept server-side without `include`, as
// hosted: a later model call of the chain (or one given the call back by value) is shown them, while clients see
// them only when they ask with `include`.

const host = checkHost(defaultSandboxOptions);
const FACT = 'The launch code for project Kestrel is 7Q4-ZEBRA-19.';
const echo: OpenAI.Responses.FunctionTool = { type: 'function', name: 'echo', parameters: { type: 'object', properties: { text: { type: 'string' } } }, strict: false };

/** The model runs the built-in tool, calls the client's echo, then (once its output is back) repeats every tool output. */
function prompt(builtin: { name: string; arguments: unknown }): string {
  const steps = [{ tool_calls: [builtin] }, { tool_calls: [{ name: 'echo', arguments: { text: 'done' } }] }, { text: '{{tool_outputs}}' }];
  return `Find it.\n\`\`\`script\n${JSON.stringify(steps)}\n\`\`\``;
}

describe('responses keep hosted tool results without include', () => {
  let server: TestServer;
  let client: OpenAI;
  let storeId: string;

  before(async () => {
    server = await startTestServer(host.available ? { ASSISTD_CODE_POOL_SIZE: '1', ASSISTD_CODE_MEMORY_MB: '1024' } : {});
    client = server.openai();
    const file = await client.files.create({ file: await toFile(Buffer.from(`# Kestrel\n\n${FACT}\n`), 'kestrel.md'), purpose: 'assistants' });
    storeId = (await client.vectorStores.create({ name: 'Briefs', file_ids: [file.id] })).id;
    while ((await client.vectorStores.retrieve(storeId)).status === 'in_progress') await new Promise((r) => setTimeout(r, 50));
  });
  after(() => server.close());

  /** Continues a response that ended at its echo call with the call's output. */
  function echoOutput(response: OpenAI.Responses.Response): OpenAI.Responses.ResponseInputItem {
    const call = response.output.find((i) => i.type === 'function_call') as OpenAI.Responses.ResponseFunctionToolCall;
    return { type: 'function_call_output', call_id: call.call_id, output: 'done' };
  }

  test('file_search: the chain and calls sent back by value see the passages; clients see them only with include', async () => {
    const tools: OpenAI.Responses.Tool[] = [{ type: 'file_search', vector_store_ids: [storeId] }, echo];
    const input = prompt({ name: 'file_search', arguments: { queries: ['launch code Kestrel'] } });
    const first = await client.responses.create({ model: 'scripted', input, tools });
    const call = first.output[0] as OpenAI.Responses.ResponseFileSearchToolCall;
    assert.equal(call.type, 'file_search_call');
    assert.equal(call.results, null);
    assert.equal(((await client.responses.retrieve(first.id)).output[0] as OpenAI.Responses.ResponseFileSearchToolCall).results, null);
    const full = (await client.responses.retrieve(first.id, { include: ['file_search_call.results'] })).output[0] as OpenAI.Responses.ResponseFileSearchToolCall;
    assert.ok(full.results![0]!.text!.includes(FACT));

    const chained = await client.responses.create({ model: 'scripted', previous_response_id: first.id, input: [echoOutput(first)], tools });
    assert.ok(chained.output_text.includes(FACT), chained.output_text);

    // The Agents SDK's way: no chain, every earlier item by value, the call's results as an empty list.
    const byValue = await client.responses.create({
      model: 'scripted',
      input: [{ role: 'user', content: input }, { ...call, results: [] }, first.output[1] as OpenAI.Responses.ResponseFunctionToolCall, echoOutput(first)],
      tools,
    });
    assert.ok(byValue.output_text.includes(FACT), byValue.output_text);
    const items = await client.responses.inputItems.list(byValue.id);
    assert.equal((items.data.find((i) => i.type === 'file_search_call') as OpenAI.Responses.ResponseFileSearchToolCall).results, null);
    const withResults = await client.responses.inputItems.list(byValue.id, { include: ['file_search_call.results'] });
    assert.ok((withResults.data.find((i) => i.type === 'file_search_call') as OpenAI.Responses.ResponseFileSearchToolCall).results![0]!.text!.includes(FACT));

    // A conversation keeps them too, and its items show them only with include.
    const conversation = await client.conversations.create();
    const inConversation = await client.responses.create({ model: 'scripted', conversation: conversation.id, input, tools });
    const stream = await client.responses.create({ model: 'scripted', conversation: conversation.id, input: [echoOutput(inConversation)], tools, stream: true });
    let text = '';
    for await (const event of stream) {
      if (event.type === 'response.output_text.delta') text += event.delta;
    }
    assert.ok(text.includes(FACT), text);
    const listed = await client.conversations.items.list(conversation.id, { order: 'asc' });
    const listedCall = listed.data.find((i) => i.type === 'file_search_call') as OpenAI.Responses.ResponseFileSearchToolCall;
    assert.equal(listedCall.results, null);
    const got = await client.conversations.items.retrieve(listedCall.id, { conversation_id: conversation.id, include: ['file_search_call.results'] });
    assert.ok((got as OpenAI.Responses.ResponseFileSearchToolCall).results![0]!.text!.includes(FACT));
  });

  test('background: the stored event log leaves the results out without include; the chain still sees them', async () => {
    const tools: OpenAI.Responses.Tool[] = [{ type: 'file_search', vector_store_ids: [storeId] }, echo];
    const input = prompt({ name: 'file_search', arguments: { queries: ['launch code Kestrel'] } });
    const queued = await client.responses.create({ model: 'scripted', input, tools, background: true });
    const replay = await client.responses.retrieve(queued.id, { stream: true });
    let first: OpenAI.Responses.Response | undefined;
    let calls = 0;
    for await (const event of replay) {
      if (event.type === 'response.output_item.done' && event.item.type === 'file_search_call') assert.equal(event.item.results, null, String(++calls));
      if (event.type === 'response.completed') first = event.response;
    }
    assert.equal(calls, 1);
    assert.equal((first!.output[0] as OpenAI.Responses.ResponseFileSearchToolCall).results, null);
    const chained = await client.responses.create({ model: 'scripted', previous_response_id: first!.id, input: [echoOutput(first!)], tools });
    assert.ok(chained.output_text.includes(FACT), chained.output_text);
  });

  test('code_interpreter: a streamed, chained response sees the logs; its events and retrieve show them only with include', { skip: host.available ? false : host.reason }, async () => {
    const tools: OpenAI.Responses.Tool[] = [{ type: 'code_interpreter', container: { type: 'auto' } }, echo];
    const input = prompt({ name: 'code_interpreter', arguments: { code: 'print(6 * 7)' } });
    const stream = await client.responses.create({ model: 'scripted', input, tools, stream: true });
    let first: OpenAI.Responses.Response | undefined;
    for await (const event of stream) {
      if (event.type === 'response.output_item.done' && event.item.type === 'code_interpreter_call') assert.equal(event.item.outputs, null);
      if (event.type === 'response.completed') first = event.response;
    }
    assert.equal((first!.output[0] as OpenAI.Responses.ResponseCodeInterpreterToolCall).outputs, null);
    const full = await client.responses.retrieve(first!.id, { include: ['code_interpreter_call.outputs'] });
    assert.deepEqual((full.output[0] as OpenAI.Responses.ResponseCodeInterpreterToolCall).outputs, [{ type: 'logs', logs: '42\n' }]);
    const chained = await client.responses.create({ model: 'scripted', previous_response_id: first!.id, input: [echoOutput(first!)], tools });
    assert.match(chained.output_text, /^42$/m);
  });
});
