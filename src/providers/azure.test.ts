import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { reply, startChatUpstream, type ChatUpstream } from '../../test/support/chat-upstream.js';
import { createAzureOpenAIModel } from './azure.js';
import { ProviderError } from './chat-model.js';
import { collectChat } from './collect-chat.js';

let upstream: ChatUpstream;
before(async () => (upstream = await startChatUpstream()));
after(() => upstream.close());

test('Azure: deployment URL, api-version query and api-key header on the wire', async () => {
  const model = createAzureOpenAIModel({ name: 'gpt-4o-prod', endpoint: `${upstream.origin}/`, apiKey: 'azure-key', apiVersion: '2024-05-01-preview' });
  upstream.enqueue(reply.toolCalls([{ id: 'call_1', name: 'lookup', arguments: '{"q":"assistd"}' }]));
  const turn = await collectChat(model.stream({ model: 'gpt-4o-prod', messages: [{ role: 'user', content: 'hi' }] }, new AbortController().signal));
  const sent = upstream.requests.at(-1)!;
  assert.equal(sent.method, 'POST');
  assert.equal(sent.url, '/openai/deployments/gpt-4o-prod/chat/completions?api-version=2024-05-01-preview');
  assert.equal(sent.headers['api-key'], 'azure-key');
  assert.equal(sent.headers.authorization, undefined);
  assert.equal(sent.body.model, 'gpt-4o-prod');
  assert.deepEqual(turn.tool_calls, [{ id: 'call_1', type: 'function', function: { name: 'lookup', arguments: '{"q":"assistd"}' } }]);
  assert.equal(model.info.provider, 'azure');
  assert.equal(model.info.contextWindow, 128_000, 'the deployment name carries the model name');
});

test('Azure: a configured deployment is used instead of the model name, with the default api-version', async () => {
  const model = createAzureOpenAIModel({ name: 'gpt-4', endpoint: upstream.origin, apiKey: 'k', deployment: 'my-deploy' });
  upstream.enqueue(reply.text('hi'));
  await collectChat(model.stream({ model: 'gpt-4', messages: [{ role: 'user', content: 'hi' }] }, new AbortController().signal));
  assert.equal(upstream.requests.at(-1)!.url, '/openai/deployments/my-deploy/chat/completions?api-version=2024-10-21');
});

test('Azure: a missing deployment (404) says to check the deployment name', async () => {
  const model = createAzureOpenAIModel({ name: 'nope', endpoint: upstream.origin, apiKey: 'k' });
  upstream.enqueue(reply.error(404, 'The API deployment for this resource does not exist.'));
  const err = await collectChat(model.stream({ model: 'nope', messages: [] }, new AbortController().signal)).catch((e) => e);
  assert.ok(err instanceof ProviderError);
  assert.equal(err.code, 'server_error');
  assert.match(err.message, /deployment .*does not exist.*check the model or deployment name/);
});
