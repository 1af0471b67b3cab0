import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type OpenAI from 'openai';
import { assertSdkShape } from '../support/sdk-types.js';
import { startTestServer, type TestServer } from '../support/server.js';

// Polled and streamed objects checked against the pinned openai-node types: every field the type declares, no
// other, no `null` where it says an array; `usage` only once a run (or step) is no longer in progress.

const weatherTool = { type: 'function' as const, function: { name: 'get_weather', parameters: { type: 'object', properties: {} } } };

const TYPES: Record<string, [string, string]> = {
  'thread.run': ['beta/threads/runs/runs', 'Run'],
  'thread.run.step': ['beta/threads/runs/steps', 'RunStep'],
  'thread.message': ['beta/threads/messages', 'Message'],
  thread: ['beta/threads/threads', 'Thread'],
  assistant: ['beta/assistants', 'Assistant'],
};

/** Checks an object by its `object` field against its SDK type. */
function assertShape(value: any, what: string) {
  const type = TYPES[value.object];
  assert.ok(type, `${what}: no SDK type for ${value.object}`);
  assertSdkShape(value, type[0], type[1], what);
}

describe('object shapes match the openai-node types', () => {
  let server: TestServer;
  let client: OpenAI;
  before(async () => {
    server = await startTestServer();
    client = server.openai();
  });
  after(() => server?.close());

  test('a function-calling run, polled and streamed: usage is null until the run ends, attachments are a list', async () => {
    const assistant = await client.beta.assistants.create({ model: 'scripted', tools: [weatherTool] });
    assertShape(assistant, 'assistant');
    const content = `weather?\n\`\`\`script\n${JSON.stringify([{ text: 'Checking.', tool_calls: [{ name: 'get_weather', arguments: {} }] }, { text: 'Sunny.' }, { text: 'Sunny.' }])}\n\`\`\``;
    const thread = await client.beta.threads.create({ messages: [{ role: 'user', content }] });
    assertShape(thread, 'thread');
    const [question] = (await client.beta.threads.messages.list(thread.id)).data;
    assertShape(question, 'user message');
    assert.deepEqual(question!.attachments, []);

    const streamed: Array<{ event: string; data: any }> = [];
    const first = client.beta.threads.runs.stream(thread.id, { assistant_id: assistant.id });
    for await (const e of first) streamed.push(e);
    const waiting = await first.finalRun();
    assert.equal(waiting.status, 'requires_action');
    assert.equal(waiting.usage, null, 'streamed requires_action run');
    const polled = await client.beta.threads.runs.retrieve(waiting.id, { thread_id: thread.id });
    assert.equal(polled.usage, null, 'polled requires_action run');
    assertShape(polled, 'polled run');
    const steps = await client.beta.threads.runs.steps.list(waiting.id, { thread_id: thread.id });
    for (const step of steps.data) {
      assertShape(step, `${step.type} step`);
      if (step.status === 'in_progress') assert.equal(step.usage, null, 'an in-progress step has no usage yet');
    }

    const second = client.beta.threads.runs.submitToolOutputsStream(waiting.id, { thread_id: thread.id, tool_outputs: [{ tool_call_id: waiting.required_action!.submit_tool_outputs.tool_calls[0]!.id, output: 'sunny' }] });
    for await (const e of second) streamed.push(e);
    const done = await second.finalRun();
    assert.equal(done.status, 'completed');
    assert.ok(done.usage && done.usage.total_tokens > 0);
    for (const { event, data } of streamed) {
      if (event.endsWith('.delta')) continue;
      assertShape(data, event);
      if (event.startsWith('thread.run.') && !event.startsWith('thread.run.step.') && event !== 'thread.run.completed') assert.equal(data.usage, null, `${event} has no usage yet`);
    }
    for (const message of (await client.beta.threads.messages.list(thread.id)).data) {
      assertShape(message, `${message.role} message`);
      assert.deepEqual(message.attachments, []);
    }
  });
});
