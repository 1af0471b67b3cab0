import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { reply, startChatUpstream, type ChatUpstream } from '../../test/support/chat-upstream.js';
import { ProviderError, type ChatEvent, type ChatModel, type ChatRequest } from './chat-model.js';
import { collectChat } from './collect-chat.js';
import { createOpenAICompatibleModel, type OpenAICompatibleConfig } from './openai-compatible.js';

const fast = { maxRetries: 2, maxRetryAfterMs: 5_000, initialBackoffMs: 20 };
/** Cases about bounds: if the bound is missing they would wait forever, so they fail at this instead. */
const BOUNDED = { timeout: 10_000 };
const hello: ChatRequest = { model: 'llama3', messages: [{ role: 'user', content: 'Say hello' }] };

let upstream: ChatUpstream;
before(async () => (upstream = await startChatUpstream()));
after(() => upstream.close());
beforeEach(() => upstream.requests.splice(0));

function model(overrides: Partial<OpenAICompatibleConfig> = {}): ChatModel {
  return createOpenAICompatibleModel({ name: 'llama3', baseURL: upstream.baseURL, apiKey: 'sk-test', retry: fast, ...overrides });
}

async function events(m: ChatModel, req = hello, signal = new AbortController().signal): Promise<ChatEvent[]> {
  const out: ChatEvent[] = [];
  for await (const e of m.stream(req, signal)) out.push(e);
  return out;
}

async function rejectsWith(promise: Promise<unknown>, code: string, pattern?: RegExp): Promise<ProviderError> {
  const err = await promise.then(
    () => assert.fail('expected a ProviderError'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof ProviderError, `expected ProviderError, got ${String(err)}`);
  assert.equal(err.code, code);
  if (pattern) assert.match(err.message, pattern);
  return err;
}

describe('OpenAI-compatible adapter', () => {
  test('a server that answers a streamed request with one JSON completion still works: text, tool calls, usage', async () => {
    upstream.enqueue(reply.text('Hello there', { ignoresStream: true, usage: { prompt_tokens: 9, completion_tokens: 2 } }));
    assert.deepEqual(await events(model()), [
      { type: 'text', delta: 'Hello there' },
      { type: 'usage', prompt_tokens: 9, completion_tokens: 2, total_tokens: 11 },
      { type: 'finish', reason: 'stop' },
    ]);
    upstream.enqueue(reply.toolCalls([{ id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}' }], { ignoresStream: true }));
    const turn = await collectChat(model().stream(hello, new AbortController().signal));
    assert.deepEqual(turn.tool_calls, [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }]);
    assert.equal(turn.finish_reason, 'tool_calls');
  });


  test('a reply of thousands of chunks read by a slow consumer arrives whole and in order (the socket pauses, then resumes)', BOUNDED, async () => {
    const words = Array.from({ length: 3000 }, (_, i) => `w${i} `);
    upstream.enqueue(reply.text(words.join('')));
    let text = '';
    for await (const event of model().stream(hello, new AbortController().signal)) {
      if (event.type === 'text') text += event.delta;
      // A consumer slower than the socket: chunks pile up past the reader's queue bound while it waits.
      if (text.length % 97 === 0) await new Promise((resolve) => setTimeout(resolve, 1));
    }
    assert.equal(text, words.join(''));
  });

  test('streams text deltas, then upstream usage, then one finish; sends the OpenAI request format', async () => {
    upstream.enqueue(reply.text('Hello there, friend', { usage: { prompt_tokens: 11, completion_tokens: 4 } }));
    const req: ChatRequest = { ...hello, temperature: 0.2, top_p: null, max_tokens: 50, response_format: { type: 'json_object' } };
    const out = await events(model(), req);
    assert.deepEqual(out, [
      { type: 'text', delta: 'Hello ' },
      { type: 'text', delta: 'there, ' },
      { type: 'text', delta: 'friend' },
      { type: 'usage', prompt_tokens: 11, completion_tokens: 4, total_tokens: 15 },
      { type: 'finish', reason: 'stop' },
    ]);
    const [sent] = upstream.requests;
    assert.equal(sent!.method, 'POST');
    assert.equal(sent!.path, '/v1/chat/completions');
    assert.equal(sent!.headers.authorization, 'Bearer sk-test');
    assert.deepEqual(sent!.body, {
      model: 'llama3',
      messages: [{ role: 'user', content: 'Say hello' }],
      stream: true,
      stream_options: { include_usage: true },
      temperature: 0.2,
      max_tokens: 50,
      response_format: { type: 'json_object' },
    });
  });

  test('sends the upstream model name of a route and tools only with their options', async () => {
    upstream.enqueue(reply.text('ok'));
    const tools = [{ type: 'function' as const, function: { name: 'f', parameters: { type: 'object' } } }];
    await events(model({ name: 'gpt-4o', upstreamModel: 'qwen2.5' }), { ...hello, tools, tool_choice: 'required', parallel_tool_calls: false });
    upstream.enqueue(reply.text('ok'));
    await events(model(), { ...hello, tool_choice: 'none', parallel_tool_calls: true });
    assert.equal(upstream.requests[0]!.body.model, 'qwen2.5');
    assert.deepEqual(upstream.requests[0]!.body.tools, tools);
    assert.equal(upstream.requests[0]!.body.tool_choice, 'required');
    assert.equal(upstream.requests[0]!.body.parallel_tool_calls, false);
    assert.equal('tool_choice' in upstream.requests[1]!.body, false);
    assert.equal('parallel_tool_calls' in upstream.requests[1]!.body, false);
  });

  test('reassembles tool-call deltas split across chunks, interleaved by index', async () => {
    const calls = [
      { id: 'call_a', name: 'get_weather', arguments: '{"city":"Paris","unit":"c"}' },
      { id: 'call_b', name: 'get_time', arguments: '{"tz":"Europe/Paris"}' },
    ];
    upstream.enqueue(reply.toolCalls(calls, { argsChunkChars: 3, interleave: true }));
    const out = await events(model());
    assert.ok(out.filter((e) => e.type === 'tool_call').length > 10, 'arguments should arrive in many deltas');
    const firsts = out.filter((e) => e.type === 'tool_call' && e.id !== undefined);
    assert.deepEqual(firsts.map((e) => e.type === 'tool_call' && [e.index, e.id, e.name]), [[0, 'call_a', 'get_weather'], [1, 'call_b', 'get_time']]);
    const turn = await collectChat(toIterable(out));
    assert.deepEqual(turn.tool_calls.map((c) => [c.id, c.function.name, c.function.arguments]), calls.map((c) => [c.id, c.name, c.arguments]));
    assert.equal(turn.finish_reason, 'tool_calls');
  });

  test('reports tool_calls as the finish reason when a server says stop after calls', async () => {
    upstream.enqueue(reply.toolCalls([{ name: 'f', arguments: '{}' }], { finish_reason: 'stop' }));
    const turn = await collectChat(model().stream(hello, new AbortController().signal));
    assert.equal(turn.finish_reason, 'tool_calls');
  });

  test('estimates usage with a tokenizer when the upstream reports none', async () => {
    upstream.enqueue(reply.text('Hello there, friend', { usage: 'omit' }));
    const turn = await collectChat(model().stream(hello, new AbortController().signal));
    assert.ok(turn.usage.prompt_tokens > 3 && turn.usage.prompt_tokens < 20, `prompt ${turn.usage.prompt_tokens}`);
    assert.equal(turn.usage.completion_tokens, 4);
    assert.equal(turn.usage.total_tokens, turn.usage.prompt_tokens + 4);
  });

  test('stops sending stream_options to a server that rejects it', async () => {
    const m = model({ baseURL: `${upstream.origin}/legacy/v1` });
    upstream.enqueue(reply.error(400, "Unrecognized request argument supplied: stream_options"), reply.text('fine'));
    const turn = await collectChat(m.stream(hello, new AbortController().signal));
    assert.equal(turn.text, 'fine');
    assert.equal(upstream.requests[1]!.body.stream_options, undefined);
  });

  test('429 with retry-after is retried after the wait the upstream asked for', async () => {
    upstream.enqueue(reply.rateLimited(1), reply.text('after the wait'));
    const started = performance.now();
    const turn = await collectChat(model().stream(hello, new AbortController().signal));
    const waited = performance.now() - started;
    assert.equal(turn.text, 'after the wait');
    assert.equal(upstream.requests.length, 2);
    assert.ok(waited >= 950 && waited < 2_500, `waited ${waited} ms`);
  });

  test('429 beyond the retries fails with rate_limit_exceeded; a retry-after too long fails at once', async () => {
    upstream.enqueue(reply.rateLimited(0), reply.rateLimited(0), reply.rateLimited(0));
    await rejectsWith(events(model()), 'rate_limit_exceeded', /rate limited by .*Rate limit reached/);
    assert.equal(upstream.requests.length, 3);
    upstream.enqueue(reply.rateLimited(3600));
    const started = performance.now();
    const err = await rejectsWith(events(model()), 'rate_limit_exceeded');
    assert.equal(err.status, 429);
    assert.ok(performance.now() - started < 1_000);
  });

  test('500 is retried, then fails with server_error', async () => {
    upstream.enqueue(reply.error(500, 'boom'), reply.error(502, 'bad gateway'), reply.error(500, 'boom again'));
    const err = await rejectsWith(events(model()), 'server_error', /answered 500: boom again/);
    assert.equal(err.status, 500);
    assert.equal(upstream.requests.length, 3);
  });

  test('400 fails at once with invalid_prompt', async () => {
    upstream.enqueue(reply.error(400, "This model's maximum context length is 8192 tokens"));
    await rejectsWith(events(model()), 'invalid_prompt', /maximum context length/);
    assert.equal(upstream.requests.length, 1);
  });

  test('a server that never answers fails with server_error within the bound', async () => {
    upstream.enqueue(reply.hang(), reply.hang());
    const started = performance.now();
    await rejectsWith(events(model({ timeouts: { requestMs: 200 }, retry: { ...fast, maxRetries: 1 } })), 'server_error', /did not answer within 200 ms/);
    const took = performance.now() - started;
    assert.ok(took >= 400 && took < 1_500, `took ${took} ms`);
    assert.equal(upstream.requests.length, 2);
  });

  test('a stream that goes silent mid-way fails with server_error after the idle bound', async () => {
    upstream.enqueue(reply.text('one two three', { stopAfter: { frames: 2, then: 'hang' } }));
    const started = performance.now();
    await rejectsWith(events(model({ timeouts: { idleMs: 200 } })), 'server_error', /sent nothing for 200 ms/);
    assert.ok(performance.now() - started < 1_000);
  });

  test('an error status whose body never comes is bounded per attempt, retried, then fails with its status', BOUNDED, async () => {
    upstream.enqueue(reply.errorThenStall(503), reply.errorThenStall(503));
    const started = performance.now();
    const err = await rejectsWith(events(model({ timeouts: { requestMs: 200 }, retry: { ...fast, maxRetries: 1 } })), 'server_error', /answered 503: .*no error body arrived within 200 ms/);
    assert.equal(err.status, 503);
    const took = performance.now() - started;
    assert.ok(took >= 400 && took < 2_000, `took ${took} ms`);
    assert.equal(upstream.requests.length, 2);
  });

  test('a stream that never stops is cut at the total deadline, though it is never idle', BOUNDED, async () => {
    upstream.enqueue(reply.endless(20));
    const started = performance.now();
    await rejectsWith(events(model({ timeouts: { idleMs: 200, totalMs: 600 } })), 'server_error', /did not finish its reply within 600 ms/);
    const took = performance.now() - started;
    assert.ok(took >= 550 && took < 2_000, `took ${took} ms`);
    await upstream.requests[0]!.closed;
  });

  test('the total deadline also ends the waits between retries', BOUNDED, async () => {
    upstream.enqueue(reply.error(500, 'boom'), reply.error(500, 'boom'));
    const started = performance.now();
    await rejectsWith(events(model({ timeouts: { totalMs: 300 }, retry: { ...fast, initialBackoffMs: 5_000 } })), 'server_error', /within 300 ms/);
    assert.ok(performance.now() - started < 1_500);
  });

  test('one event over many data lines, a long reply and a big JSON completion are cut at their byte bounds', BOUNDED, async () => {
    const limits = { maxEventBytes: 64 * 1024, maxReplyBytes: 256 * 1024 };
    upstream.enqueue(reply.hugeEvent(1_000, 1024));
    let err = await rejectsWith(events(model({ limits })), 'server_error', /^The model's upstream reply was too large: one event of the reply was larger than 65536 bytes/);
    assert.ok(!err.message.includes('127.0.0.1'), err.message);
    upstream.enqueue(reply.endless(0, 'tick '.repeat(100)));
    err = await rejectsWith(events(model({ limits })), 'server_error', /too large: the reply was larger than 262144 bytes/);
    assert.ok(!err.message.includes('127.0.0.1'), err.message);
    upstream.enqueue(reply.text('word '.repeat(20_000), { ignoresStream: true }));
    await rejectsWith(events(model({ limits })), 'server_error', /too large: one event of the reply was larger than 65536 bytes/);
    // Within the bounds, the same kinds of reply go through.
    upstream.enqueue(reply.text('word '.repeat(500)));
    assert.ok((await events(model({ limits }))).length > 400);
  });

  test('invalid JSON, garbage bytes and a cut connection become ProviderErrors', async () => {
    upstream.enqueue(reply.invalidJson());
    await rejectsWith(events(model()), 'server_error', /not valid JSON/);
    upstream.enqueue(reply.garbage());
    await rejectsWith(events(model()), 'server_error');
    upstream.enqueue(reply.text('one two three', { stopAfter: { frames: 2, then: 'cut' } }));
    await rejectsWith(events(model()), 'server_error', /broke off|without a finish_reason/);
  });

  test('an error object inside the stream becomes a ProviderError', async () => {
    upstream.enqueue({ kind: 'raw', frames: ['data: {"error":{"message":"model crashed"}}\n\n'] });
    await rejectsWith(events(model()), 'server_error', /model crashed/);
  });

  test('aborting the signal cancels the upstream request and throws the abort reason', async () => {
    upstream.enqueue(reply.text('one two three four', { stopAfter: { frames: 2, then: 'hang' } }));
    const controller = new AbortController();
    const seen: ChatEvent[] = [];
    const run = (async () => {
      for await (const e of model().stream(hello, controller.signal)) {
        seen.push(e);
        controller.abort();
      }
    })();
    await assert.rejects(run, { name: 'AbortError' });
    assert.equal(seen.length, 1);
    await upstream.requests[0]!.closed;
    assert.equal(upstream.requests[0]!.aborted, true);
  });

  test('aborting while the request waits for headers cancels it too', async () => {
    upstream.enqueue(reply.hang());
    const controller = new AbortController();
    const run = events(model(), hello, controller.signal);
    while (upstream.requests.length === 0) await new Promise((r) => setTimeout(r, 5));
    controller.abort();
    await assert.rejects(run, { name: 'AbortError' });
    await upstream.requests[0]!.closed;
  });

  test('a consumer that stops reading early cancels the upstream request', async () => {
    upstream.enqueue(reply.text('one two three four', { stopAfter: { frames: 3, then: 'hang' } }));
    for await (const e of model().stream(hello, new AbortController().signal)) {
      assert.equal(e.type, 'text');
      break;
    }
    await upstream.requests[0]!.closed;
    assert.equal(upstream.requests[0]!.aborted, true);
  });

  test('an unreachable base URL fails fast with server_error naming what to set', async () => {
    const m = model({ baseURL: 'http://127.0.0.1:9/v1', retry: { ...fast, maxRetries: 1 } });
    const err = await rejectsWith(events(m), 'server_error', /could not reach the upstream of model "llama3".*set OPENAI_BASE_URL or add a models: entry/);
    // The URL is for the operator's log, not for the client reading last_error.
    assert.doesNotMatch(err.message, /127\.0\.0\.1/);
    assert.equal(err.upstream, 'http://127.0.0.1:9/v1 (model llama3)');
  });

  test('401 names the key to set', async () => {
    upstream.enqueue(reply.error(401, 'Incorrect API key provided'));
    await rejectsWith(events(model({ keyHint: 'set OPENAI_API_KEY' })), 'server_error', /rejected the credentials \(401\).*set OPENAI_API_KEY/);
  });
});

async function* toIterable(list: ChatEvent[]): AsyncIterable<ChatEvent> {
  yield* list;
}
