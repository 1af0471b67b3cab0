import assert from 'node:assert/strict';
import { text } from 'node:stream/consumers';
import { after, before, beforeEach, describe, test } from 'node:test';
import { reply, startChatUpstream, type ChatUpstream } from '../../test/support/chat-upstream.js';
import { ProviderError } from './chat-model.js';
import { createOpenAICompatibleModel } from './openai-compatible.js';

let upstream: ChatUpstream;
before(async () => (upstream = await startChatUpstream()));
after(() => upstream.close());
beforeEach(() => upstream.requests.splice(0));

const retry = { maxRetries: 2, maxRetryAfterMs: 5_000, initialBackoffMs: 20 };
const model = (idleMs = 60_000) => createOpenAICompatibleModel({ name: 'chat', baseURL: upstream.baseURL, upstreamModel: 'up', retry, timeouts: { idleMs } });
const body = { model: 'chat', messages: [{ role: 'user', content: 'hi' }] };

describe('chat passthrough', () => {
  test('retries what runs retry, then gives the answer back as sent', async () => {
    upstream.enqueue(reply.rateLimited(0), reply.error(503));
    const answer = await model().forward!(body, new AbortController().signal);
    assert.match(answer.contentType, /application\/json/);
    assert.equal(JSON.parse(await text(answer.body)).choices[0].message.content, 'Echo: hi');
    assert.equal(upstream.requests.length, 3);
    assert.equal(upstream.requests[2]!.body.model, 'up');
  });

  test('a refusal is a ProviderError with the upstream status and no retry', async () => {
    upstream.enqueue(reply.error(422, 'bad messages'));
    const err = await model().forward!(body, new AbortController().signal).catch((e: unknown) => e);
    assert.ok(err instanceof ProviderError);
    assert.equal(err.status, 422);
    assert.match(err.message, /bad messages/);
    assert.equal(upstream.requests.length, 1);
  });

  test('a stream that goes silent is cut after the idle timeout, and the upstream call ends', async () => {
    upstream.enqueue(reply.text('one two three', { stopAfter: { frames: 2, then: 'hang' } }));
    const answer = await model(300).forward!({ ...body, stream: true }, new AbortController().signal);
    await assert.rejects(text(answer.body), /sent nothing for 300 ms/);
    await upstream.requests[0]!.closed;
    assert.equal(upstream.requests[0]!.aborted, true);
  });
});
