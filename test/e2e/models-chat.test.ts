import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import OpenAI, { AzureOpenAI } from 'openai';
import { loadConfig } from '../../src/config.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { reply, startChatUpstream, type ChatUpstream } from '../support/chat-upstream.js';

// GET /models and POST /chat/completions through the official SDK: what an app calls with the same client it
// uses for assistants.

describe('models and chat completions', () => {
  let upstream: ChatUpstream;
  let server: RunningServer;
  let client: OpenAI;
  let dir: string;

  before(async () => {
    upstream = await startChatUpstream({ models: ['llama3.1', 'mistral', 'llama-org/big'] });
    dir = mkdtempSync(join(tmpdir(), 'assistd-models-chat-'));
    const models = [
      { name: 'local', provider: 'openai-compatible', base_url: upstream.baseURL, api_key: 'sk-route', model: 'upstream-name' },
      { name: 'llama*', provider: 'openai-compatible', base_url: upstream.baseURL, api_key: 'sk-route' },
      { name: 'azure-chat', provider: 'azure', base_url: upstream.origin, api_key: 'az-key', deployment: 'chat-prod', api_version: '2024-10-21' },
    ];
    server = await startServer(loadConfig({ port: 0, host: '127.0.0.1', data_dir: dir, models, code_pool_size: 0, shutdown_grace_seconds: 0 }, {}));
    client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'none', maxRetries: 0 });
  });
  after(async () => {
    await server.close();
    await upstream.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('models.list: scripted, the named routes, and the upstream models that route back to it', async () => {
    const list = await client.models.list();
    const ids = list.data.map((m) => m.id);
    assert.deepEqual(ids, ['scripted', 'local', 'azure-chat', 'llama3.1', 'llama-org/big']);
    for (const m of list.data) assert.deepEqual(Object.keys(m).sort(), ['created', 'id', 'object', 'owned_by']);
    assert.deepEqual(await client.models.retrieve('llama3.1'), { id: 'llama3.1', object: 'model', created: 1_700_000_000, owned_by: 'upstream' });
    assert.equal((await client.models.retrieve('local')).owned_by, 'openai-compatible');
    for (const path of ['llama-org/big', 'llama-org%2Fbig']) {
      const res = await fetch(`${server.url}/v1/models/${path}`);
      assert.equal(((await res.json()) as { id: string }).id, 'llama-org/big', path);
    }
    // Listed by the upstream, but a request for it would go elsewhere (Ollama): not offered.
    const missing = await client.models.retrieve('mistral').catch((e: unknown) => e);
    assert.ok(missing instanceof OpenAI.NotFoundError);
    assert.equal(missing.code, 'model_not_found');
    assert.equal(missing.param, 'model');
  });

  test('a completion is the upstream\'s answer to the body as written, with the route\'s key and model name', async () => {
    const mark = upstream.requests.length;
    const completion = await client.chat.completions.create({ model: 'local', messages: [{ role: 'user', content: 'hi' }], seed: 7, logit_bias: { '50256': -100 }, user: 'u-1' });
    assert.equal(completion.id, 'chatcmpl-upstream');
    assert.equal(completion.model, 'upstream-name');
    assert.equal(completion.choices[0]!.message.content, 'Echo: hi');
    const sent = upstream.requests[mark]!;
    assert.equal(sent.headers.authorization, 'Bearer sk-route');
    assert.deepEqual(sent.body, { model: 'upstream-name', messages: [{ role: 'user', content: 'hi' }], seed: 7, logit_bias: { '50256': -100 }, user: 'u-1' });
  });

  test('an Azure route: the deployment URL, api-key header and api-version', async () => {
    const mark = upstream.requests.length;
    const completion = await client.chat.completions.create({ model: 'azure-chat', messages: [{ role: 'user', content: 'hello' }] });
    assert.equal(completion.choices[0]!.message.content, 'Echo: hello');
    const sent = upstream.requests[mark]!;
    assert.equal(sent.path, '/openai/deployments/chat-prod/chat/completions');
    assert.equal(sent.query.get('api-version'), '2024-10-21');
    assert.equal(sent.headers['api-key'], 'az-key');
  });

  test('an AzureOpenAI client: the deployment in the path is the model', async () => {
    const azure = new AzureOpenAI({ endpoint: server.url, apiKey: 'none', apiVersion: '2024-10-21', maxRetries: 0 });
    const mark = upstream.requests.length;
    const completion = await azure.chat.completions.create({ model: 'local', messages: [{ role: 'user', content: 'via azure' }] });
    assert.equal(completion.choices[0]!.message.content, 'Echo: via azure');
    assert.equal(upstream.requests[mark]!.body.model, 'upstream-name');
    const scripted = await azure.chat.completions.create({ model: 'scripted', messages: [{ role: 'user', content: 'hey' }] });
    assert.equal(scripted.choices[0]!.message.content, 'You said: hey');
  });

  test('streamed, with tool calls and usage, as the upstream streamed it', async () => {
    upstream.enqueue(reply.toolCalls([{ id: 'call_a', name: 'lookup', arguments: '{"q":"x"}' }], { usage: { prompt_tokens: 3, completion_tokens: 4 } }));
    const tools = [{ type: 'function' as const, function: { name: 'lookup', parameters: { type: 'object', properties: { q: { type: 'string' } } } } }];
    const stream = client.chat.completions.stream({ model: 'llama3.1', messages: [{ role: 'user', content: 'find x' }], tools, stream_options: { include_usage: true } });
    const final = await stream.finalChatCompletion();
    assert.deepEqual(final.choices[0]!.message.tool_calls?.map((c) => [c.id, c.function.name, c.function.arguments]), [['call_a', 'lookup', '{"q":"x"}']]);
    assert.equal(final.usage?.total_tokens, 7);
    assert.equal(upstream.requests.at(-1)!.body.tools.length, 1);
  });

  test('a client that goes away mid-stream cancels the upstream call', async () => {
    upstream.enqueue(reply.text('one two three four five six seven eight', { chunkDelayMs: 150 }));
    const controller = new AbortController();
    const stream = await client.chat.completions.create({ model: 'local', messages: [{ role: 'user', content: 'count' }], stream: true }, { signal: controller.signal });
    for await (const chunk of stream) {
      if (chunk.choices[0]?.delta.content) break;
    }
    controller.abort();
    const sent = upstream.requests.at(-1)!;
    await sent.closed;
    assert.equal(sent.aborted, true);
  });

  test('the scripted model answers too, the same way every time, streamed or not', async () => {
    const params = { model: 'scripted', messages: [{ role: 'user' as const, content: 'ping' }] };
    const once = await client.chat.completions.create(params);
    assert.equal(once.choices[0]!.message.content, 'You said: ping');
    assert.equal(once.choices[0]!.finish_reason, 'stop');
    assert.ok(once.usage!.total_tokens > 0);
    const deltas: string[] = [];
    for await (const chunk of await client.chat.completions.create({ ...params, stream: true })) deltas.push(chunk.choices[0]?.delta.content ?? '');
    assert.equal(deltas.join(''), 'You said: ping');
  });

  test('upstream errors keep their status where the client can act on them', async () => {
    upstream.enqueue(reply.error(400, "Invalid value for 'temperature'"));
    const bad = await client.chat.completions.create({ model: 'local', messages: [{ role: 'user', content: 'hi' }], temperature: 9 }).catch((e: unknown) => e);
    assert.ok(bad instanceof OpenAI.BadRequestError);
    assert.match(bad.message, /Invalid value for 'temperature'/);
    upstream.enqueue(reply.error(404, 'The model does not exist'));
    const gone = await client.chat.completions.create({ model: 'llama-missing', messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
    assert.ok(gone instanceof OpenAI.NotFoundError);
    assert.equal(gone.code, 'model_not_found');
    const invalid = await client.chat.completions.create({ model: 'local', messages: [] }).catch((e: unknown) => e);
    assert.ok(invalid instanceof OpenAI.BadRequestError);
    assert.equal(invalid.param, 'messages');
  });
});
