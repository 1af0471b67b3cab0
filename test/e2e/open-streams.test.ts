import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import OpenAI from 'openai';
import { startTestServer, type TestServer } from '../support/server.js';
import { script } from '../support/script.js';

// max_open_streams through the SDK: past the cap a request for a stream is refused (503, retry-after) before
// anything is created, requests that do not stream still go through, and a stream that ends frees its place.

const SLOW = script([{ text: 'slow', delay_ms: 60_000 }]);

/** The error a request failed with (or a failure of the test if it did not). */
async function failure(promise: Promise<unknown>): Promise<InstanceType<typeof OpenAI.APIError>> {
  const err = await promise.then(() => undefined, (e: unknown) => e);
  assert.ok(err instanceof OpenAI.APIError, `expected an API error, got ${String(err)}`);
  return err;
}

function assertOverloaded(err: InstanceType<typeof OpenAI.APIError>): void {
  assert.equal(err.status, 503, err.message);
  assert.equal(err.code, 'server_overloaded');
  assert.equal(err.type, 'server_error');
  assert.match(err.message, /maximum of 2 streams/);
  assert.equal(err.headers?.get('retry-after'), '1');
}

/** Tries `open` until the server has taken note of a stream that ended (its socket's close is not instant). */
async function openWhenFree<T>(open: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await open();
    } catch (err) {
      if (!(err instanceof OpenAI.APIError && err.status === 503) || attempt >= 100) throw err;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

describe('max_open_streams', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ ASSISTD_MAX_OPEN_STREAMS: '2' });
  });
  after(async () => {
    await server.close();
  });

  test('a third stream is refused before anything is created; an ended stream frees its place', async () => {
    const client = server.openai();
    const assistant = await client.beta.assistants.create({ model: 'scripted' });
    const threads = async () => ((await client.get('/threads', { query: { limit: 100 } })) as { data: unknown[] }).data.length;
    const runStream = await client.beta.threads.createAndRun({ assistant_id: assistant.id, stream: true, thread: { messages: [{ role: 'user', content: SLOW }] } });
    // A background response's stream, as it can be cancelled (a foreground one would hold the server's close).
    const responseStream = await client.responses.create({ model: 'scripted', input: SLOW, stream: true, background: true });
    const responseEvents = responseStream[Symbol.asyncIterator]();
    const responseCreated = (await responseEvents.next()).value as OpenAI.Responses.ResponseCreatedEvent;
    const runEvents = runStream[Symbol.asyncIterator]();
    const created = (await runEvents.next()).value as OpenAI.Beta.AssistantStreamEvent.ThreadCreated;
    assert.equal(created.event, 'thread.created');

    // Past the cap: a streamed create-thread-and-run, run, response; a background response's replay.
    const before = await threads();
    assertOverloaded(await failure(client.beta.threads.createAndRun({ assistant_id: assistant.id, stream: true, thread: { messages: [{ role: 'user', content: 'hi' }] } })));
    assert.equal(await threads(), before, 'the refused create-thread-and-run left a thread behind');
    const thread = await client.beta.threads.create({ messages: [{ role: 'user', content: SLOW }] });
    assertOverloaded(await failure(client.beta.threads.runs.create(thread.id, { assistant_id: assistant.id, stream: true })));
    assert.equal((await client.beta.threads.runs.list(thread.id)).data.length, 0, 'the refused run was created');
    assertOverloaded(await failure(client.responses.create({ model: 'scripted', input: 'hi', stream: true })));
    const background = await client.responses.create({ model: 'scripted', input: 'hi', background: true });
    assertOverloaded(await failure(client.responses.retrieve(background.id, { stream: true })));

    // Requests that do not stream are not counted.
    const polled = await client.beta.threads.runs.create(thread.id, { assistant_id: assistant.id });
    assert.equal(polled.status, 'queued');
    await client.beta.threads.runs.cancel(polled.id, { thread_id: thread.id });

    // The run's stream ends (its run cancelled): a new stream is accepted.
    const running = (await client.beta.threads.runs.list(created.data.id)).data[0]!;
    await client.beta.threads.runs.cancel(running.id, { thread_id: running.thread_id });
    for (let next = await runEvents.next(); !next.done; next = await runEvents.next());
    const replay = await openWhenFree(() => client.responses.retrieve(background.id, { stream: true }));
    let last = '';
    for await (const event of replay) last = event.type;
    assert.equal(last, 'response.completed');

    // Full again; then the client of the response's stream goes away, and its place is free.
    const slowRun = await client.beta.threads.runs.create(thread.id, { assistant_id: assistant.id, stream: true });
    const slowRunCreated = (await slowRun[Symbol.asyncIterator]().next()).value as OpenAI.Beta.AssistantStreamEvent.ThreadRunCreated;
    assertOverloaded(await failure(client.beta.threads.createAndRun({ assistant_id: assistant.id, stream: true, thread: { messages: [{ role: 'user', content: 'hi' }] } })));
    responseStream.controller.abort();
    const third = await openWhenFree(() => client.beta.threads.createAndRun({ assistant_id: assistant.id, stream: true, thread: { messages: [{ role: 'user', content: 'hi' }] } }));
    let ended = '';
    for await (const event of third) ended = event.event;
    assert.equal(ended, 'thread.run.completed');
    slowRun.controller.abort();
    await client.beta.threads.runs.cancel(slowRunCreated.data.id, { thread_id: thread.id });
    await client.responses.cancel(responseCreated.response.id);
  });
});
