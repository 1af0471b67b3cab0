import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type OpenAI from 'openai';
import { createTestDatabase } from '../support/postgres.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { script } from '../support/script.js';

// Runs end to end through the official SDK, with the deterministic scripted model.

function textOf(message: OpenAI.Beta.Threads.Message): string {
  return message.content.map((c) => (c.type === 'text' ? c.text.value : '')).join('');
}

const weatherTool = {
  type: 'function' as const,
  function: { name: 'get_weather', description: 'weather for a city', parameters: { type: 'object', properties: { city: { type: 'string' } } } },
};

for (const db of ['sqlite', 'postgres'] as const) describe(`runs on ${db}`, () => {
  let server: TestServer;
  let client: OpenAI;
  let assistantId: string;
  before(async () => {
    server = await startTestServer(db === 'postgres' ? { DATABASE_URL: await createTestDatabase() } : {});
    client = server.openai();
    const assistant = await client.beta.assistants.create({ model: 'scripted', instructions: 'Be brief.', tools: [weatherTool] });
    assistantId = assistant.id;
  });
  after(() => server.close());

  test('createAndPoll completes a text run with a message_creation step and usage', async () => {
    const thread = await client.beta.threads.create({ messages: [{ role: 'user', content: 'hello' }] });
    const run = await client.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistantId, metadata: { k: 'v' } }, { pollIntervalMs: 20 });
    assert.equal(run.status, 'completed');
    assert.match(run.id, /^run_[0-9A-Za-z]{24}$/);
    assert.equal(run.object, 'thread.run');
    assert.equal(run.model, 'scripted');
    assert.equal(run.instructions, 'Be brief.');
    assert.deepEqual(run.metadata, { k: 'v' });
    assert.equal(run.last_error, null);
    assert.equal(run.expires_at, null);
    assert.equal(typeof run.started_at, 'number');
    assert.equal(typeof run.completed_at, 'number');
    assert.ok(run.usage && run.usage.total_tokens > 0 && run.usage.total_tokens === run.usage.prompt_tokens + run.usage.completion_tokens);

    const messages = await client.beta.threads.messages.list(thread.id, { order: 'asc' });
    assert.equal(messages.data.length, 2);
    const reply = messages.data[1]!;
    assert.equal(reply.role, 'assistant');
    assert.equal(reply.status, 'completed');
    assert.equal(reply.run_id, run.id);
    assert.equal(reply.assistant_id, assistantId);
    assert.equal(textOf(reply), 'You said: hello');

    const steps = await client.beta.threads.runs.steps.list(run.id, { thread_id: thread.id });
    assert.equal(steps.data.length, 1);
    const step = steps.data[0]!;
    assert.equal(step.type, 'message_creation');
    assert.equal(step.status, 'completed');
    assert.deepEqual(step.step_details, { type: 'message_creation', message_creation: { message_id: reply.id } });
    assert.deepEqual(await client.beta.threads.runs.steps.retrieve(step.id, { thread_id: thread.id, run_id: run.id }), step);

    assert.deepEqual(await client.beta.threads.runs.retrieve(run.id, { thread_id: thread.id }), run);
    const listed = await client.beta.threads.runs.list(thread.id);
    assert.deepEqual(listed.data.map((r) => r.id), [run.id]);
    const modified = await client.beta.threads.runs.update(run.id, { thread_id: thread.id, metadata: { k: 'w' } });
    assert.deepEqual(modified.metadata, { k: 'w' });
  });

  test('instructions override and additional_* reach the run', async () => {
    const thread = await client.beta.threads.create();
    const run = await client.beta.threads.runs.createAndPoll(thread.id, {
      assistant_id: assistantId,
      instructions: 'Override.',
      additional_instructions: 'Also this.',
      additional_messages: [{ role: 'user', content: 'added' }],
    }, { pollIntervalMs: 20 });
    assert.equal(run.status, 'completed');
    assert.equal(run.instructions, 'Override.\n\nAlso this.');
    const messages = await client.beta.threads.messages.list(thread.id, { order: 'asc' });
    assert.deepEqual(messages.data.map(textOf), ['added', 'You said: added']);
  });

  test('function calls round-trip through submitToolOutputsAndPoll', async () => {
    const content = script([
      { tool_calls: [{ name: 'get_weather', arguments: { city: 'Paris' } }, { name: 'get_weather', arguments: { city: 'Rome' } }] },
      { text: 'Weather: {{tool_outputs}}' },
    ]);
    const thread = await client.beta.threads.create({ messages: [{ role: 'user', content }] });
    const waiting = await client.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistantId }, { pollIntervalMs: 20 });
    assert.equal(waiting.status, 'requires_action');
    assert.equal(typeof waiting.expires_at, 'number');
    const calls = waiting.required_action!.submit_tool_outputs.tool_calls;
    assert.equal(calls.length, 2);
    assert.deepEqual(calls.map((c) => JSON.parse(c.function.arguments)), [{ city: 'Paris' }, { city: 'Rome' }]);
    assert.ok(calls.every((c) => c.type === 'function' && c.function.name === 'get_weather'));

    await assert.rejects(
      client.beta.threads.messages.create(thread.id, { role: 'user', content: 'interrupt' }),
      (e: any) => e.status === 400 && e.message.includes(waiting.id),
    );
    await assert.rejects(
      client.beta.threads.runs.submitToolOutputs(waiting.id, { thread_id: thread.id, tool_outputs: [{ tool_call_id: calls[0]!.id, output: 'sunny' }] }),
      (e: any) => e.status === 400,
      'partial tool outputs are refused',
    );

    const run = await client.beta.threads.runs.submitToolOutputsAndPoll(waiting.id, {
      thread_id: thread.id,
      tool_outputs: [{ tool_call_id: calls[0]!.id, output: 'sunny' }, { tool_call_id: calls[1]!.id, output: 'rain' }],
    }, { pollIntervalMs: 20 });
    assert.equal(run.status, 'completed');
    assert.equal(run.required_action, null);

    const messages = await client.beta.threads.messages.list(thread.id, { run_id: run.id });
    assert.equal(textOf(messages.data[0]!), 'Weather: sunny\nrain');
    const steps = await client.beta.threads.runs.steps.list(run.id, { thread_id: thread.id, order: 'asc' });
    assert.deepEqual(steps.data.map((s) => [s.type, s.status]), [['tool_calls', 'completed'], ['message_creation', 'completed']]);
    const details = steps.data[0]!.step_details as OpenAI.Beta.Threads.Runs.ToolCallsStepDetails;
    assert.deepEqual(details.tool_calls.map((c) => (c.type === 'function' ? c.function.output : null)), ['sunny', 'rain']);
  });

  test('a run on a thread with an active run is refused, naming it', async () => {
    const content = script([{ tool_calls: [{ name: 'get_weather', arguments: { city: 'Oslo' } }] }]);
    const thread = await client.beta.threads.create({ messages: [{ role: 'user', content }] });
    const first = await client.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistantId }, { pollIntervalMs: 20 });
    assert.equal(first.status, 'requires_action');
    await assert.rejects(
      client.beta.threads.runs.create(thread.id, { assistant_id: assistantId }),
      (e: any) => e.status === 400 && e.message.includes(first.id),
    );
    const cancelling = await client.beta.threads.runs.cancel(first.id, { thread_id: thread.id });
    assert.equal(cancelling.status, 'cancelling');
    const cancelled = await client.beta.threads.runs.poll(first.id, { thread_id: thread.id }, { pollIntervalMs: 20 });
    assert.equal(cancelled.status, 'cancelled');
    assert.equal(typeof cancelled.cancelled_at, 'number');
    const next = await client.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistantId }, { pollIntervalMs: 20 });
    assert.notEqual(next.status, 'queued');
  });

  test('runs created at once on one thread: one wins, the others and a message create are refused naming it', async () => {
    const content = script([{ tool_calls: [{ name: 'get_weather', arguments: { city: 'Oslo' } }] }]);
    const thread = await client.beta.threads.create({ messages: [{ role: 'user', content }] });
    const settled = await Promise.allSettled(Array.from({ length: 6 }, () => client.beta.threads.runs.create(thread.id, { assistant_id: assistantId })));
    const won = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    assert.equal(won.length, 1, JSON.stringify(settled.map((s) => s.status)));
    for (const s of settled) if (s.status === 'rejected') assert.ok(s.reason.status === 400 && s.reason.message.includes(won[0]!.id), String(s.reason));
    await assert.rejects(client.beta.threads.messages.create(thread.id, { role: 'user', content: 'more' }), (e: any) => e.status === 400 && e.message.includes(won[0]!.id));
    const stopped = await client.beta.threads.runs.poll(won[0]!.id, { thread_id: thread.id }, { pollIntervalMs: 20 });
    assert.equal(stopped.status, 'requires_action');
    await client.beta.threads.runs.cancel(won[0]!.id, { thread_id: thread.id });
    await client.beta.threads.runs.poll(won[0]!.id, { thread_id: thread.id }, { pollIntervalMs: 20 });
    // Freed: a message and a run go in, and nothing of the refused creates was kept.
    await client.beta.threads.messages.create(thread.id, { role: 'user', content: 'hello' });
    const next = await client.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistantId }, { pollIntervalMs: 20 });
    assert.notEqual(next.status, 'queued');
    const runs = await client.beta.threads.runs.list(thread.id);
    assert.deepEqual(runs.data.map((r) => r.id).sort(), [won[0]!.id, next.id].sort());
  });

  test('an upstream error fails the run with last_error', async () => {
    const content = script([{ error: { status: 429, message: 'slow down' } }]);
    const thread = await client.beta.threads.create({ messages: [{ role: 'user', content }] });
    const run = await client.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistantId }, { pollIntervalMs: 20 });
    assert.equal(run.status, 'failed');
    assert.deepEqual(run.last_error, { code: 'rate_limit_exceeded', message: 'slow down' });
    assert.equal(typeof run.failed_at, 'number');
    assert.equal(run.completed_at, null);
  });

  test('a call of a tool the run does not offer fails the run clearly', async () => {
    const content = script([{ tool_calls: [{ name: 'code_interpreter', arguments: {} }] }]);
    const thread = await client.beta.threads.create({ messages: [{ role: 'user', content }] });
    const run = await client.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistantId }, { pollIntervalMs: 20 });
    assert.equal(run.status, 'failed');
    assert.equal(run.last_error?.code, 'server_error');
    assert.match(run.last_error!.message, /code_interpreter/);
  });

  test('unknown assistant and unknown run answer 404', async () => {
    const thread = await client.beta.threads.create();
    await assert.rejects(client.beta.threads.runs.create(thread.id, { assistant_id: 'asst_missing' }), (e: any) => e.status === 404);
    await assert.rejects(client.beta.threads.runs.retrieve('run_missing', { thread_id: thread.id }), (e: any) => e.status === 404);
    // Both unknown: the thread is named (the two are read at once, but the path's thread is checked first).
    await assert.rejects(client.beta.threads.runs.create('thread_missing', { assistant_id: 'asst_missing' }), (e: any) => e.status === 404 && /thread/i.test(e.message) && !/asst_missing/.test(e.message));
  });
});
