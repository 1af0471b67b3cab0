import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Agent, OpenAIProvider, Runner, codeInterpreterTool, fileSearchTool, tool, type RunItem } from '@openai/agents';
import { toFile } from 'openai';
import { z } from 'zod';
import { checkHost } from '../../src/sandbox/host-check.js';
import { defaultSandboxOptions } from '../../src/sandbox/sandbox.js';
import { startTestServer, type TestServer } from '../support/server.js';

// The OpenAI Agents SDK for JavaScript with its hosted tools against assistd: fileSearchTool over a vector store
// the server indexed, codeInterpreterTool in a real sandbox container. The scripted model makes the tool calls;
// assistd runs them server-side, as hosted OpenAI does, and the agent gets the final output in one model call.

const host = checkHost(defaultSandboxOptions);
const FACT = 'The launch code for project Kestrel is 7Q4-ZEBRA-19.';

function script(prompt: string, steps: unknown[]): string {
  return `${prompt}\n\`\`\`script\n${JSON.stringify(steps)}\n\`\`\``;
}

/** The hosted tool calls of a run, as the SDK hands them to the app. */
function hostedCalls(items: RunItem[]): Array<Record<string, any>> {
  return items.filter((i) => i.type === 'tool_call_item').map((i) => i.rawItem as Record<string, any>).filter((raw) => raw.type === 'hosted_tool_call');
}

/** The output_text parts of the run's last model response, annotations included. */
function lastTextParts(result: { rawResponses: Array<{ output: Array<Record<string, any>> }> }): Array<Record<string, any>> {
  const message = result.rawResponses.at(-1)!.output.find((item) => item.type === 'message');
  assert.ok(message, JSON.stringify(result.rawResponses.at(-1)!.output));
  return (message.content as Array<Record<string, any>>).filter((part) => part.type === 'output_text');
}

describe('@openai/agents hosted tools against assistd', () => {
  let server: TestServer;
  let runner: Runner;
  let storeId: string;
  let fileId: string;

  before(async () => {
    server = await startTestServer(host.available ? { ASSISTD_CODE_POOL_SIZE: '1', ASSISTD_CODE_MEMORY_MB: '1024' } : {});
    const client = server.openai();
    runner = new Runner({ modelProvider: new OpenAIProvider({ openAIClient: client, useResponses: true }), tracingDisabled: true });
    const filler = 'Project notes cover schedules, budgets and staffing across the quarter. '.repeat(8);
    fileId = (await client.files.create({ file: await toFile(Buffer.from(`# Kestrel\n\n${filler}\n\n${FACT}\n`), 'kestrel.md'), purpose: 'assistants' })).id;
    const other = await client.files.create({ file: await toFile(Buffer.from(`# Cafeteria\n\n${filler}\n\nThe cafeteria opens at eight.\n`), 'cafeteria.md'), purpose: 'assistants' });
    storeId = (await client.vectorStores.create({ name: 'Briefs', file_ids: [fileId, other.id] })).id;
    let vs = await client.vectorStores.retrieve(storeId);
    while (vs.status === 'in_progress') {
      await new Promise((r) => setTimeout(r, 50));
      vs = await client.vectorStores.retrieve(storeId);
    }
    assert.equal(vs.file_counts.completed, 2);
  });
  after(() => server.close());

  test('fileSearchTool: the agent answers citing the right file, with the search results included', async () => {
    const agent = new Agent({
      name: 'Librarian',
      instructions: 'Answer from the files.',
      model: 'scripted',
      tools: [fileSearchTool([storeId], { maxNumResults: 3, includeSearchResults: true })],
      modelSettings: { toolChoice: 'file_search' },
    });
    const steps = [{ tool_calls: [{ name: 'file_search', arguments: { queries: ['launch code Kestrel'] } }] }, { text: 'The code is 7Q4-ZEBRA-19.【0:0†kestrel.md】' }];
    const result = await runner.run(agent, script('What is the launch code?', steps));
    assert.equal(result.finalOutput, 'The code is 7Q4-ZEBRA-19.');
    assert.equal(result.rawResponses.length, 1);
    const [call] = hostedCalls(result.newItems);
    assert.equal(call!.name, 'file_search_call');
    assert.equal(call!.status, 'completed');
    assert.deepEqual(call!.providerData.queries, ['launch code Kestrel']);
    assert.equal(call!.providerData.results[0].file_id, fileId);
    assert.ok(call!.providerData.results[0].text.includes(FACT));
    const [part] = lastTextParts(result);
    const annotations = part!.providerData?.annotations ?? part!.annotations;
    assert.deepEqual(annotations, [{ type: 'file_citation', file_id: fileId, filename: 'kestrel.md', index: 'The code is 7Q4-ZEBRA-19.'.length }]);
  });

  test('codeInterpreterTool: code runs in a container and the answer carries its output', { skip: host.available ? false : host.reason }, async () => {
    const agent = new Agent({
      name: 'Analyst',
      instructions: 'Compute with Python.',
      model: 'scripted',
      tools: [codeInterpreterTool({ includeOutputs: true })],
      modelSettings: { toolChoice: 'code_interpreter' },
    });
    const code = "total = sum(range(1, 101))\nprint('total', total)";
    const steps = [{ tool_calls: [{ name: 'code_interpreter', arguments: { code } }] }, { text: 'Result: {{tool_output.0}}' }];
    const result = await runner.run(agent, script('Add 1..100.', steps));
    assert.equal(String(result.finalOutput).trim(), 'Result: total 5050');
    const [call] = hostedCalls(result.newItems);
    assert.equal(call!.name, 'code_interpreter_call');
    assert.equal(call!.status, 'completed');
    assert.equal(call!.providerData.code, code);
    assert.match(call!.providerData.container_id, /^cntr_/);
    assert.deepEqual(call!.providerData.outputs, [{ type: 'logs', logs: 'total 5050\n' }]);
    assert.equal((await server.openai().containers.retrieve(call!.providerData.container_id)).status, 'running');

    // The chain continues in the same container: the next turn sees the variable.
    const more = [{ tool_calls: [{ name: 'code_interpreter', arguments: { code: 'print(total * 2)' } }] }, { text: 'Doubled: {{tool_output.0}}' }];
    const next = await runner.run(agent, script('Double it.', more), { previousResponseId: result.lastResponseId! });
    assert.equal(String(next.finalOutput).trim(), 'Doubled: 10100');
    assert.equal(hostedCalls(next.newItems)[0]!.providerData.container_id, call!.providerData.container_id);
  });

  test('hosted and function tools in one run: without includes, the next model call still sees passages and logs', { skip: host.available ? false : host.reason }, async () => {
    // The SDK sends earlier calls back by value without results/outputs; the server replays its stored ones.
    const echo = tool({ name: 'echo', description: 'Echoes its text.', parameters: z.object({ text: z.string() }), execute: async ({ text }) => text });
    const agent = new Agent({
      name: 'Mixed',
      instructions: 'Search, compute, then echo.',
      model: 'scripted',
      tools: [fileSearchTool(storeId), codeInterpreterTool(), echo],
    });
    const steps = [
      { tool_calls: [{ name: 'file_search', arguments: { queries: ['launch code Kestrel'] } }] },
      { tool_calls: [{ name: 'code_interpreter', arguments: { code: 'print(6 * 7)' } }] },
      { tool_calls: [{ name: 'echo', arguments: { text: 'done' } }] },
      { text: '{{tool_outputs}}' },
    ];
    const result = await runner.run(agent, script('Find it and compute.', steps));
    const seen = String(result.finalOutput);
    assert.ok(seen.includes(FACT), seen);
    assert.match(seen, /^42$/m);
    assert.match(seen, /^done$/m);
    assert.deepEqual(hostedCalls(result.newItems).map((c) => c.name), ['file_search_call', 'code_interpreter_call']);
  });
});
