import assert from 'node:assert/strict';
import { after, before, beforeEach, test } from 'node:test';
import { embedText, reply, startChatUpstream, type ChatUpstream } from '../../test/support/chat-upstream.js';
import { ProviderError } from './chat-model.js';
import { createOpenAIEmbeddingModel } from './openai-embedding-model.js';

const fast = { maxRetries: 2, maxRetryAfterMs: 5_000, initialBackoffMs: 10 };
let upstream: ChatUpstream;
before(async () => (upstream = await startChatUpstream()));
after(() => upstream.close());
beforeEach(() => upstream.requests.splice(0));

test('embeds in batches of 96, keeps input order, sends dimensions for text-embedding-3', async () => {
  const model = createOpenAIEmbeddingModel({ baseURL: upstream.baseURL, apiKey: 'sk', retry: fast });
  assert.equal(model.name, 'text-embedding-3-large');
  assert.equal(model.dimensions, 256);
  const texts = Array.from({ length: 250 }, (_, i) => `document number ${i} about topic ${i % 7}`);
  const vectors = await model.embed(texts);
  assert.equal(vectors.length, 250);
  assert.deepEqual(vectors[0], embedText(texts[0]!, 256));
  assert.deepEqual(vectors[249], embedText(texts[249]!, 256));
  const sizes = upstream.requests.map((r) => r.body.input.length).sort((a, b) => b - a);
  assert.deepEqual(sizes, [96, 96, 58]);
  for (const r of upstream.requests) {
    assert.equal(r.path, '/v1/embeddings');
    assert.equal(r.body.model, 'text-embedding-3-large');
    assert.equal(r.body.dimensions, 256);
    assert.equal(r.body.encoding_format, 'float');
  }
});

test('no request for no texts; empty strings are sent as a space', async () => {
  const model = createOpenAIEmbeddingModel({ baseURL: upstream.baseURL, retry: fast });
  assert.deepEqual(await model.embed([]), []);
  assert.equal(upstream.requests.length, 0);
  await model.embed(['', 'x']);
  assert.deepEqual(upstream.requests[0]!.body.input, [' ', 'x']);
});

test('a 500 is retried; a model whose vectors have the wrong size is reported', async () => {
  const model = createOpenAIEmbeddingModel({ baseURL: upstream.baseURL, retry: fast, model: 'nomic-embed-text', dimensions: 768 });
  upstream.enqueue(reply.error(500, 'busy'));
  const err = await model.embed(['hello']).catch((e) => e);
  assert.equal(upstream.requests.length, 2, 'retried once after the 500');
  assert.equal('dimensions' in upstream.requests[1]!.body, false, 'dimensions only for models that take it');
  assert.ok(err instanceof ProviderError);
  assert.match(err.message, /256-dimensional vectors from nomic-embed-text, expected 768/);
});

test('Azure embeddings go to the deployment with api-version and api-key', async () => {
  const model = createOpenAIEmbeddingModel({ model: 'embed-large', dimensions: 64, sendDimensions: true, azure: { endpoint: upstream.origin, apiKey: 'az' } });
  const [vector] = await model.embed(['search me']);
  assert.equal(vector!.length, 64);
  const sent = upstream.requests[0]!;
  assert.equal(sent.url, '/openai/deployments/embed-large/embeddings?api-version=2024-10-21');
  assert.equal(sent.headers['api-key'], 'az');
});

test('a rate limit that outlasts the retries fails with rate_limit_exceeded', async () => {
  const model = createOpenAIEmbeddingModel({ baseURL: upstream.baseURL, retry: { ...fast, maxRetries: 1 } });
  upstream.enqueue(reply.rateLimited(0), reply.rateLimited(0));
  const err = await model.embed(['a']).catch((e) => e);
  assert.ok(err instanceof ProviderError);
  assert.equal(err.code, 'rate_limit_exceeded');
});
