import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type OpenAI from 'openai';
import type { Message } from '../../src/domain/types.js';
import type { Store } from '../../src/store/store.js';
import { reply, startChatUpstream, type ChatUpstream } from '../support/chat-upstream.js';
import { createTestDatabase } from '../support/postgres.js';
import { script } from '../support/script.js';
import { startTestServer, type TestServer } from '../support/server.js';

// A turn's message and its step are written shortly after the model's first text, or, when the model has
// finished by then, inserted complete with the run's end: either way a client that reads the message when its
// `thread.message.created` event arrives finds it.

/**
 * The status of every assistant message the store's transactions insert while `run` runs; `delay` holds each
 * such insert back that many milliseconds.
 */
async function insertedStatuses(store: Store, run: () => Promise<void>, delay = 0): Promise<string[]> {
  const statuses: string[] = [];
  const transaction = store.transaction;
  const spied = (tx: Store): Store =>
    new Proxy(tx, {
      get(target, key) {
        const value = Reflect.get(target, key);
        if (key !== 'messages') return value;
        const messages = value as Store['messages'];
        return {
          ...messages,
          async insert(project: string, message: Message) {
            if (message.role === 'assistant') statuses.push(message.status);
            if (delay > 0) await new Promise((r) => setTimeout(r, delay));
            return messages.insert(project, message);
          },
        };
      },
    });
  store.transaction = <T>(fn: (tx: Store) => Promise<T>) => transaction.call(store, (tx) => fn(spied(tx))) as Promise<T>;
  try {
    await run();
  } finally {
    store.transaction = transaction;
  }
  return statuses;
}

/** Streams a run and reads its message back the moment `thread.message.created` arrives; returns that read. */
async function readOnCreated(client: OpenAI, assistantId: string, content = 'hello there'): Promise<{ status: string; events: string[]; threadId: string }> {
  const thread = await client.beta.threads.create({ messages: [{ role: 'user', content }] });
  const stream = client.beta.threads.runs.stream(thread.id, { assistant_id: assistantId });
  let read: Promise<OpenAI.Beta.Threads.Message> | undefined;
  const events: string[] = [];
  for await (const e of stream) {
    events.push(e.event);
    if (e.event === 'thread.message.created') read = client.beta.threads.messages.retrieve(e.data.id, { thread_id: thread.id });
  }
  assert.ok(read, 'the stream announced the message');
  return { status: (await read).status, events, threadId: thread.id };
}

for (const db of ['sqlite', 'postgres'] as const) describe(`the message a run writes, on ${db}`, () => {
  let upstream: ChatUpstream;
  let server: TestServer;
  let client: OpenAI;
  let assistantId: string;
  let scriptedId: string;
  before(async () => {
    upstream = await startChatUpstream();
    server = await startTestServer({ OPENAI_BASE_URL: upstream.baseURL, OPENAI_API_KEY: 'test', ...(db === 'postgres' ? { DATABASE_URL: await createTestDatabase() } : {}) });
    client = server.openai();
    assistantId = (await client.beta.assistants.create({ model: 'gpt-4o-mini' })).id;
    scriptedId = (await client.beta.assistants.create({ model: 'scripted' })).id;
  });
  after(async () => {
    await server.close();
    await upstream.close();
  });

  test('a reply that finishes at once is inserted complete, with the run, and is readable on its created event', async () => {
    // The scripted model answers in-process, all at once: its turn ends before the write's timer can fire.
    let outcome!: Awaited<ReturnType<typeof readOnCreated>>;
    const quick = script([{ chunks: ['short ', 'and ', 'quick'] }]);
    const statuses = await insertedStatuses(server.store, async () => void (outcome = await readOnCreated(client, scriptedId, quick)));
    assert.deepEqual(statuses, ['completed'], 'the message is written once, as it ended');
    assert.equal(outcome.status, 'completed');
    assert.equal(outcome.events.at(-1), 'thread.run.completed');
  });

  test('a reply that takes its time is stored in progress first, readable on its created event', async () => {
    upstream.enqueue(reply.text('one two three four', { chunkDelayMs: 60 }));
    let outcome!: Awaited<ReturnType<typeof readOnCreated>>;
    const statuses = await insertedStatuses(server.store, async () => void (outcome = await readOnCreated(client, assistantId)));
    assert.deepEqual(statuses, ['in_progress']);
    assert.equal(outcome.status, 'in_progress', 'the row exists before its event is streamed');
    const events = outcome.events.filter((e) => e !== 'thread.message.delta');
    assert.deepEqual(events.slice(3), ['thread.run.step.created', 'thread.run.step.in_progress', 'thread.message.created', 'thread.message.in_progress', 'thread.message.completed', 'thread.run.step.completed', 'thread.run.completed']);
  });

  test('a reply that ends while its message is being written completes it after the write', async () => {
    upstream.enqueue(reply.text('one two', { chunkDelayMs: 20 }));
    let outcome!: Awaited<ReturnType<typeof readOnCreated>>;
    // The in-progress insert takes longer than the rest of the reply: the run's end must wait for it.
    const statuses = await insertedStatuses(server.store, async () => void (outcome = await readOnCreated(client, assistantId)), 150);
    assert.deepEqual(statuses, ['in_progress']);
    assert.equal(outcome.events.at(-1), 'thread.run.completed');
    const messages = await client.beta.threads.messages.list(outcome.threadId);
    assert.deepEqual(messages.data.map((m) => [m.role, m.status]), [['assistant', 'completed'], ['user', 'completed']]);
  });
});
