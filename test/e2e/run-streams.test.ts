import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type OpenAI from 'openai';
import { createTestDatabase } from '../support/postgres.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { script } from '../support/script.js';

// Streaming runs, cancellation, expiry and the thread lock race, end to end through the official SDK.

const weatherTool = {
  type: 'function' as const,
  function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } },
};

/** Event names of a stream, with runs of message deltas folded into one `thread.message.delta*`. */
async function eventNames(stream: AsyncIterable<{ event: string }>): Promise<string[]> {
  const names: string[] = [];
  for await (const e of stream) {
    if (e.event.endsWith('.delta') && names.at(-1) === `${e.event}*`) continue;
    names.push(e.event.endsWith('.delta') ? `${e.event}*` : e.event);
  }
  return names;
}

async function waitFor<T>(fn: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (ok(value) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 50));
  }
}

const TEXT_RUN = [
  'thread.run.created',
  'thread.run.queued',
  'thread.run.in_progress',
  'thread.run.step.created',
  'thread.run.step.in_progress',
  'thread.message.created',
  'thread.message.in_progress',
  'thread.message.delta*',
  'thread.message.completed',
  'thread.run.step.completed',
  'thread.run.completed',
];

for (const db of ['sqlite', 'postgres'] as const) describe(`streamed runs on ${db}`, () => {
  let server: TestServer;
  let client: OpenAI;
  let assistantId: string;
  let now = Date.now();
  before(async () => {
    server = await startTestServer(db === 'postgres' ? { DATABASE_URL: await createTestDatabase() } : {}, undefined, { clock: () => now });
    client = server.openai();
    assistantId = (await client.beta.assistants.create({ model: 'scripted', tools: [weatherTool] })).id;
  });
  after(() => server.close());

  test('a streamed text run sends the hosted events in order, then done', async () => {
    const thread = await client.beta.threads.create({ messages: [{ role: 'user', content: 'hello there' }] });
    const stream = client.beta.threads.runs.stream(thread.id, { assistant_id: assistantId });
    assert.deepEqual(await eventNames(stream), TEXT_RUN);
    const final = await stream.finalRun();
    assert.equal(final.status, 'completed');
    const [message] = await stream.finalMessages();
    assert.equal(message!.content[0]!.type === 'text' && message!.content[0]!.text.value, 'You said: hello there');
  });

  test('text deltas add up to the stored message', async () => {
    const thread = await client.beta.threads.create({ messages: [{ role: 'user', content: script([{ chunks: ['Hel', 'lo ', 'wor', 'ld'] }]) }] });
    let text = '';
    const stream = client.beta.threads.runs.stream(thread.id, { assistant_id: assistantId }).on('textDelta', (d) => (text += d.value ?? ''));
    await stream.finalRun();
    assert.equal(text, 'Hello world');
    const messages = await client.beta.threads.messages.list(thread.id, { order: 'desc', limit: 1 });
    assert.equal(messages.data[0]!.content[0]!.type === 'text' && messages.data[0]!.content[0]!.text.value, 'Hello world');
  });

  test('a message and a step a stream announces can be retrieved at once', async () => {
    const thread = await client.beta.threads.create({ messages: [{ role: 'user', content: script([{ chunks: ['one ', 'two ', 'three'] }]) }] });
    const stream = client.beta.threads.runs.stream(thread.id, { assistant_id: assistantId });
    const reads: Promise<unknown>[] = [];
    for await (const event of stream) {
      // Asked before the next event is read: the row must already be stored when the client hears of it.
      if (event.event === 'thread.message.created') reads.push(client.beta.threads.messages.retrieve(event.data.id, { thread_id: thread.id }));
      if (event.event === 'thread.run.step.created') reads.push(client.beta.threads.runs.steps.retrieve(event.data.id, { thread_id: thread.id, run_id: event.data.run_id }));
    }
    assert.equal(reads.length, 2);
    await Promise.all(reads);
  });

  test('create thread and run streams thread.created first', async () => {
    const stream = client.beta.threads.createAndRunStream({ assistant_id: assistantId, thread: { messages: [{ role: 'user', content: 'hi' }] } });
    const names = await eventNames(stream);
    assert.deepEqual(names, ['thread.created', ...TEXT_RUN]);
    const run = await stream.finalRun();
    const polled = await client.beta.threads.createAndRunPoll({ assistant_id: assistantId, thread: { messages: [{ role: 'user', content: 'x' }] } }, { pollIntervalMs: 20 });
    assert.equal(polled.status, 'completed');
    assert.equal(run.status, 'completed');
  });

  test('parallel function calls round-trip by streaming', async () => {
    const content = script([
      { tool_calls: [{ name: 'get_weather', arguments: { city: 'Paris' } }, { name: 'get_weather', arguments: { city: 'Rome' } }] },
      { text: 'Weather: {{tool_outputs}}' },
    ]);
    const thread = await client.beta.threads.create({ messages: [{ role: 'user', content }] });
    const first = client.beta.threads.runs.stream(thread.id, { assistant_id: assistantId });
    const args: Record<number, string> = {};
    first.on('toolCallDelta', (delta, snapshot) => {
      if (snapshot.type === 'function') args[delta.index] = snapshot.function.arguments;
    });
    const names = await eventNames(first);
    assert.deepEqual(names, ['thread.run.created', 'thread.run.queued', 'thread.run.in_progress', 'thread.run.step.created', 'thread.run.step.in_progress', 'thread.run.step.delta*', 'thread.run.requires_action']);
    assert.deepEqual(Object.values(args).map((a) => JSON.parse(a)), [{ city: 'Paris' }, { city: 'Rome' }]);
    const waiting = await first.finalRun();
    assert.equal(waiting.status, 'requires_action');
    const calls = waiting.required_action!.submit_tool_outputs.tool_calls;

    const second = client.beta.threads.runs.submitToolOutputsStream(waiting.id, {
      thread_id: thread.id,
      tool_outputs: calls.map((c, i) => ({ tool_call_id: c.id, output: ['sunny', 'rain'][i]! })),
    });
    const after = await eventNames(second);
    assert.deepEqual(after, ['thread.run.step.completed', 'thread.run.queued', 'thread.run.in_progress', ...TEXT_RUN.slice(3)]);
    const [message] = await second.finalMessages();
    assert.equal(message!.content[0]!.type === 'text' && message!.content[0]!.text.value, 'Weather: sunny\nrain');
  });

  test('a client that disconnects does not stop the run; polling sees it finish', async () => {
    const thread = await client.beta.threads.create({ messages: [{ role: 'user', content: script([{ text: 'slow answer', delay_ms: 300 }]) }] });
    const stream = client.beta.threads.runs.stream(thread.id, { assistant_id: assistantId });
    let runId = '';
    for await (const e of stream) {
      if (e.event === 'thread.run.created') {
        runId = e.data.id;
        break;
      }
    }
    stream.abort();
    const run = await waitFor(() => client.beta.threads.runs.retrieve(runId, { thread_id: thread.id }), (r) => r.status === 'completed');
    assert.equal(run.status, 'completed');
  });

  test('polling answers carry openai-poll-after-ms', async () => {
    const thread = await client.beta.threads.create({ messages: [{ role: 'user', content: script([{ text: 'x', delay_ms: 200 }]) }] });
    const { response } = await client.beta.threads.runs.create(thread.id, { assistant_id: assistantId }).withResponse();
    assert.ok(Number(response.headers.get('openai-poll-after-ms')) > 0);
  });

  test('cancel stops a run mid-call: cancelling, then cancelled, and the stream ends', async () => {
    const thread = await client.beta.threads.create({ messages: [{ role: 'user', content: script([{ text: 'never', delay_ms: 30_000 }]) }] });
    const stream = client.beta.threads.runs.stream(thread.id, { assistant_id: assistantId });
    const names: string[] = [];
    for await (const e of stream) {
      names.push(e.event);
      if (e.event === 'thread.run.in_progress') {
        const cancelling = await client.beta.threads.runs.cancel(e.data.id, { thread_id: thread.id });
        assert.equal(cancelling.status, 'cancelling');
      }
    }
    assert.equal(names.at(-1), 'thread.run.cancelled');
    const run = await stream.finalRun();
    assert.equal(run.status, 'cancelled');
    assert.equal(typeof run.cancelled_at, 'number');
    await client.beta.threads.messages.create(thread.id, { role: 'user', content: 'the thread is free again' });
  });

  test('metadata set on a run while it streams is kept when the run completes', async () => {
    const thread = await client.beta.threads.create({ messages: [{ role: 'user', content: script([{ text: 'slow answer', delay_ms: 300 }]) }] });
    const stream = client.beta.threads.runs.stream(thread.id, { assistant_id: assistantId });
    for await (const e of stream) {
      if (e.event === 'thread.run.in_progress') await client.beta.threads.runs.update(e.data.id, { thread_id: thread.id, metadata: { tag: 'mid-run' } });
    }
    const run = await stream.finalRun();
    assert.equal(run.status, 'completed');
    assert.deepEqual(run.metadata, { tag: 'mid-run' });
    assert.deepEqual((await client.beta.threads.runs.retrieve(run.id, { thread_id: thread.id })).metadata, { tag: 'mid-run' });
  });

  test('an upstream error ends the stream with thread.run.failed', async () => {
    const thread = await client.beta.threads.create({ messages: [{ role: 'user', content: script([{ error: { status: 429, message: 'slow down' } }]) }] });
    const stream = client.beta.threads.runs.stream(thread.id, { assistant_id: assistantId });
    const names = await eventNames(stream);
    assert.equal(names.at(-1), 'thread.run.failed');
    const run = await stream.finalRun();
    assert.equal(run.last_error?.code, 'rate_limit_exceeded');
  });

  test('a length finish ends the run incomplete', async () => {
    const thread = await client.beta.threads.create({ messages: [{ role: 'user', content: script([{ text: 'cut off', finish_reason: 'length' }]) }] });
    const run = await client.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistantId, max_completion_tokens: 16 }, { pollIntervalMs: 20 });
    assert.equal(run.status, 'incomplete');
    assert.deepEqual(run.incomplete_details, { reason: 'max_completion_tokens' });
  });

  test('ten concurrent run creates on one thread give exactly one run', async () => {
    const thread = await client.beta.threads.create({ messages: [{ role: 'user', content: script([{ text: 'x', delay_ms: 500 }]) }] });
    const results = await Promise.allSettled(Array.from({ length: 10 }, () => client.beta.threads.runs.create(thread.id, { assistant_id: assistantId })));
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
    for (const r of results) if (r.status === 'rejected') assert.equal((r.reason as { status: number }).status, 400);
    const runs = await client.beta.threads.runs.list(thread.id);
    assert.equal(runs.data.length, 1);
  });

  test('a requires_action run expires ten minutes after creation and frees the thread', async () => {
    const thread = await client.beta.threads.create({ messages: [{ role: 'user', content: script([{ tool_calls: [{ name: 'get_weather', arguments: { city: 'Oslo' } }] }]) }] });
    const waiting = await client.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistantId }, { pollIntervalMs: 20 });
    assert.equal(waiting.status, 'requires_action');
    now += 11 * 60 * 1000;
    const expired = await waitFor(() => client.beta.threads.runs.retrieve(waiting.id, { thread_id: thread.id }), (r) => r.status === 'expired');
    assert.equal(expired.status, 'expired');
    assert.equal(expired.required_action, null);
    const steps = await client.beta.threads.runs.steps.list(waiting.id, { thread_id: thread.id });
    assert.equal(steps.data[0]!.status, 'expired');
    await assert.rejects(
      client.beta.threads.runs.submitToolOutputs(waiting.id, { thread_id: thread.id, tool_outputs: [{ tool_call_id: waiting.required_action!.submit_tool_outputs.tool_calls[0]!.id, output: 'late' }] }),
      (e: any) => e.status === 400,
    );
    await client.beta.threads.messages.create(thread.id, { role: 'user', content: 'free again' });
  });
});
