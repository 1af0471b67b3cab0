import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { reply, startChatUpstream, type ChatUpstream } from '../../test/support/chat-upstream.js';
import { ConfigError, loadConfig } from '../config.js';
import { providersConfig } from '../server.js';
import { ProviderError } from './chat-model.js';
import type { ProvidersConfig } from './providers-config.js';
import { createModelRegistry } from './registry.js';
import { createInMemoryScriptSource } from './script.js';

// Which upstream serves embeddings: the `embedding:` section and its variables, routed like chat models.

const retry = { maxRetries: 0, maxRetryAfterMs: 1_000, initialBackoffMs: 10 };
const registry = (config: ProvidersConfig) => createModelRegistry({ retry, ...config }, { scriptSource: createInMemoryScriptSource({}) });
let upstream: ChatUpstream;
before(async () => (upstream = await startChatUpstream()));
after(() => upstream.close());
beforeEach(() => upstream.requests.splice(0));

describe('embedding routes', () => {
  test("the embedding: section's own provider serves its model; the size is the model's unless set", async () => {
    const r = registry({ embedding: { model: 'bge-m3', provider: 'openai-compatible', base_url: `${upstream.origin}/emb/v1`, api_key: 'k' }, openai: { baseURL: 'http://127.0.0.1:9/v1' } });
    const model = r.embeddingModel()!;
    assert.equal(model.key, 'bge-m3');
    assert.equal(model.dimensions, undefined);
    assert.equal((await model.embed(['a']))[0]!.length, 256);
    assert.equal(upstream.requests[0]!.path, '/emb/v1/embeddings');
    assert.equal(upstream.requests[0]!.headers.authorization, 'Bearer k');
    assert.equal('dimensions' in upstream.requests[0]!.body, false);
  });

  test('Azure: the model is the deployment; `none` switches vectors off', async () => {
    const azure = { endpoint: upstream.origin, apiKey: 'az' };
    const model = registry({ azure, embedding: { model: 'te3-small-prod', dimensions: 256 } }).embeddingModel()!;
    await model.embed(['x']);
    assert.match(upstream.requests[0]!.url, /^\/openai\/deployments\/te3-small-prod\/embeddings\?api-version=/);
    assert.equal(model.key, 'te3-small-prod:256');
    assert.equal(registry({ azure, embedding: { model: 'none' } }).embeddingModel(), undefined);
  });

  test('a route that cannot work fails its calls saying what to set; /embeddings clients route any name', async () => {
    const model = registry({ models: [{ name: 'emb', provider: 'openai-compatible' }], embedding: { model: 'emb' } }).embeddingModel()!;
    const err = await model.embed(['x']).catch((e) => e);
    assert.ok(err instanceof ProviderError);
    assert.match(err.message, /the models: entry "emb" needs base_url: set it/);

    const r = registry({ models: [{ name: 'embed-*', provider: 'openai-compatible', base_url: upstream.baseURL, model: 'real-embedder' }] });
    const result = await r.embeddings('embed-small').create({ input: ['one', 'two'], dimensions: 8 });
    assert.equal(result.vectors.length, 2);
    assert.equal(upstream.requests[0]!.body.model, 'real-embedder');
    assert.equal(upstream.requests[0]!.body.dimensions, 8);
    upstream.enqueue(reply.error(401, 'bad key'));
    const denied = await r.embeddings('embed-small').create({ input: 'x' }).catch((e) => e);
    assert.ok(denied instanceof ProviderError && denied.status === 401);
  });
});

describe('embedding settings', () => {
  const load = (env: Record<string, string>, yaml?: string) => {
    const dir = mkdtempSync(join(tmpdir(), 'assistd-config-'));
    const file = join(dir, 'assistd.yaml');
    if (yaml !== undefined) writeFileSync(file, yaml);
    return loadConfig({}, { ...env, ...(yaml !== undefined ? { ASSISTD_CONFIG: file } : {}) });
  };

  test('the config file takes an embedding: section; each variable overrides its field', () => {
    const config = load({ ASSISTD_EMBEDDING_DIMENSIONS: '768', ASSISTD_EMBEDDING_RETRY_SECONDS: '5' }, 'embedding:\n  model: nomic-embed-text\n  provider: ollama\n  dimensions: 256\n');
    assert.deepEqual(config.embedding, { model: 'nomic-embed-text', provider: 'ollama', dimensions: 768 });
    assert.equal(config.embeddingRetrySeconds, 5);
    assert.deepEqual(providersConfig(config).embedding, config.embedding);
    assert.deepEqual(load({}).embedding, {});
  });

  test('a bad embedding setting is named', () => {
    assert.throws(() => load({}, 'embedding:\n  modle: x\n'), (e: unknown) => e instanceof ConfigError && /'embedding.modle'/.test(e.message));
    assert.throws(() => load({ ASSISTD_EMBEDDING_BASE_URL: 'http://x' }), (e: unknown) => e instanceof ConfigError && /needs both model and provider/.test(e.message));
    assert.throws(() => load({ ASSISTD_EMBEDDING_DIMENSIONS: 'many' }), (e: unknown) => e instanceof ConfigError && /embedding\.dimensions/.test(e.message));
  });
});
