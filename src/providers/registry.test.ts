import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { reply, startChatUpstream, type ChatUpstream } from '../../test/support/chat-upstream.js';
import { ProviderError, type ChatModel } from './chat-model.js';
import { collectChat } from './collect-chat.js';
import { modelRoutesSchema, providersConfigFromEnv, type ProvidersConfig } from './providers-config.js';
import { createModelRegistry } from './registry.js';
import { createInMemoryScriptSource } from './script.js';

const retry = { maxRetries: 0, maxRetryAfterMs: 1_000, initialBackoffMs: 10 };
const scriptSource = createInMemoryScriptSource({ demo: { rules: [{ steps: [{ text: 'demo' }] }] } });
let upstream: ChatUpstream;
before(async () => (upstream = await startChatUpstream()));
after(() => upstream.close());
beforeEach(() => upstream.requests.splice(0));

const registry = (config: ProvidersConfig) => createModelRegistry({ retry, ...config }, { scriptSource });
const call = (model: ChatModel) => collectChat(model.stream({ model: model.info.name, messages: [{ role: 'user', content: 'hi' }] }, new AbortController().signal));
async function failure(model: ChatModel): Promise<ProviderError> {
  const err = await call(model).catch((e) => e);
  assert.ok(err instanceof ProviderError, String(err));
  return err;
}

describe('model registry', () => {
  test('scripted names go to the scripted model before any route, even a catch-all', async () => {
    const r = registry({ models: [{ name: '*', provider: 'openai-compatible', base_url: upstream.baseURL }] });
    assert.equal(r.resolve('scripted').info.provider, 'scripted');
    assert.equal((await call(r.resolve('scripted:demo'))).text, 'demo');
    assert.equal(upstream.requests.length, 0);
  });

  test('models: routes — exact before wildcard, ${ENV} substituted, upstream model renamed', async () => {
    const r = registry({
      env: { UPSTREAM: upstream.origin, KEY: 'sk-from-env' },
      models: [
        { name: 'gpt-*', provider: 'openai-compatible', base_url: '${UPSTREAM}/wild/v1', model: 'wild-model' },
        { name: 'gpt-4o', provider: 'openai', base_url: '${UPSTREAM}/v1', api_key: '${KEY}', model: 'qwen2.5', context_window: 32_000, supports_vision: false },
        { name: '*', provider: 'ollama', base_url: '${UPSTREAM}/ollama/v1' },
      ],
      azure: { endpoint: 'http://127.0.0.1:9', apiKey: 'never-used' },
    });
    const exact = r.resolve('gpt-4o');
    assert.deepEqual(exact.info, { name: 'gpt-4o', provider: 'openai', contextWindow: 32_000, supportsTools: true, supportsVision: false });
    await call(exact);
    await call(r.resolve('gpt-4-turbo'));
    await call(r.resolve('mistral'));
    const [a, b, c] = upstream.requests;
    assert.equal(a!.path, '/v1/chat/completions');
    assert.equal(a!.headers.authorization, 'Bearer sk-from-env');
    assert.equal(a!.body.model, 'qwen2.5');
    assert.equal(b!.path, '/wild/v1/chat/completions');
    assert.equal(b!.body.model, 'wild-model');
    assert.equal(c!.path, '/ollama/v1/chat/completions');
    assert.equal(c!.body.model, 'mistral', 'a catch-all passes the asked name through');
  });

  test('a route using an unset ${VAR} fails its runs with a message naming the variable', async () => {
    const r = registry({ env: {}, models: [{ name: 'm', provider: 'openai', api_key: '${MY_KEY}' }] });
    const err = await failure(r.resolve('m'));
    assert.equal(err.code, 'server_error');
    assert.match(err.message, /models: entry "m" uses \$\{MY_KEY\} but MY_KEY is not set/);
  });

  test('without a route: Azure env first, with the name as deployment', async () => {
    const r = registry({ azure: { endpoint: upstream.origin, apiKey: 'az', apiVersion: '2024-06-01' }, openai: { baseURL: 'http://127.0.0.1:9/v1' } });
    await call(r.resolve('my-deployment'));
    assert.equal(upstream.requests[0]!.url, '/openai/deployments/my-deployment/chat/completions?api-version=2024-06-01');
    assert.equal(upstream.requests[0]!.headers['api-key'], 'az');
  });

  test('Azure env without a key says to set it', async () => {
    const err = await failure(registry({ azure: { endpoint: upstream.origin } }).resolve('d'));
    assert.match(err.message, /AZURE_OPENAI_API_KEY is not/);
    assert.equal(upstream.requests.length, 0);
  });

  test('then OpenAI env, then Ollama on localhost with advice on what to set', async () => {
    await call(registry({ openai: { baseURL: upstream.baseURL, apiKey: 'sk-env' } }).resolve('gpt-4o'));
    assert.equal(upstream.requests[0]!.headers.authorization, 'Bearer sk-env');
    await call(registry({ ollamaBaseURL: `${upstream.origin}/ollama/v1` }).resolve('llama3'));
    assert.equal(upstream.requests[1]!.path, '/ollama/v1/chat/completions');
    const r = registry({});
    assert.equal(r.resolve('llama3').info.provider, 'ollama');
    const err = await failure(registry({ ollamaBaseURL: 'http://127.0.0.1:9/v1' }).resolve('llama3'));
    assert.match(err.message, /could not reach the upstream of model "llama3".*set OPENAI_BASE_URL .* or add a models: entry/);
  });

  test('context windows: known names, and 8192 for the unknown', () => {
    const r = registry({});
    assert.equal(r.resolve('gpt-4o-mini').info.contextWindow, 128_000);
    assert.equal(r.resolve('gpt-4').info.contextWindow, 8_192);
    assert.equal(r.resolve('gpt-4-32k').info.contextWindow, 32_768);
    assert.equal(r.resolve('gpt-35-turbo').info.contextWindow, 16_385);
    assert.equal(r.resolve('llama3.1:8b').info.contextWindow, 131_072);
    assert.equal(r.resolve('some-local-model').info.contextWindow, 8_192);
    assert.equal(r.resolve('gpt-4o').info.supportsVision, true);
  });

  test('embedding model: none without config, routed like chat models otherwise', async () => {
    assert.equal(registry({}).embeddingModel(), undefined);
    const viaEnv = registry({ openai: { baseURL: upstream.baseURL } }).embeddingModel()!;
    assert.equal(viaEnv.name, 'text-embedding-3-large');
    assert.equal((await viaEnv.embed(['a b']))[0]!.length, 256);
    const viaRoute = registry({
      models: [{ name: 'nomic-embed-text', provider: 'ollama', base_url: `${upstream.origin}/ollama/v1` }],
      embedding: { model: 'nomic-embed-text', dimensions: 256 },
    }).embeddingModel()!;
    await viaRoute.embed(['x']);
    assert.equal(upstream.requests.at(-1)!.path, '/ollama/v1/embeddings');
  });

  test('listModels: scripted models, named routes, and what upstreams list that would be sent back to them', async () => {
    const lister = await startChatUpstream({ models: ['llama3.1', 'qwen3', 'gpt-4o'] });
    try {
      const r = registry({
        models: [
          { name: 'gpt-4o', provider: 'openai', base_url: `${lister.origin}/other/v1` },
          { name: 'llama*', provider: 'ollama', base_url: `${lister.baseURL}/` },
          { name: 'down', provider: 'openai-compatible', base_url: 'http://127.0.0.1:9/v1' },
        ],
        ollamaBaseURL: 'http://127.0.0.1:9/v1',
      });
      const ids = (await r.listModels()).map((m) => [m.id, m.owned_by]);
      // qwen3 is listed by the llama* upstream but a run naming it would go elsewhere (Ollama here): left out.
      assert.deepEqual(ids, [['scripted', 'assistd'], ['scripted:demo', 'assistd'], ['gpt-4o', 'openai'], ['down', 'openai-compatible'], ['llama3.1', 'upstream']]);
      const asked = lister.requests.filter((q) => q.method === 'GET').length;
      await r.listModels();
      assert.equal(lister.requests.filter((q) => q.method === 'GET').length, asked, 'listings are cached briefly');
    } finally {
      await lister.close();
    }
  });
});

describe('providers config', () => {
  test('reads the provider variables from an env map', () => {
    assert.deepEqual(providersConfigFromEnv({}), { env: {} });
    const env = { AZURE_OPENAI_ENDPOINT: 'https://x.openai.azure.com', AZURE_OPENAI_API_KEY: 'k', OPENAI_API_VERSION: '2024-10-21', OPENAI_BASE_URL: 'http://vllm:8000/v1' };
    const config = providersConfigFromEnv(env);
    assert.deepEqual(config.azure, { endpoint: 'https://x.openai.azure.com', apiKey: 'k', apiVersion: '2024-10-21' });
    assert.deepEqual(config.openai, { baseURL: 'http://vllm:8000/v1' });
  });

  test('the models: schema names a bad key', () => {
    const result = modelRoutesSchema.safeParse([{ name: 'a', provider: 'openai', base_ur: 'x' }]);
    assert.equal(result.success, false);
    assert.match(JSON.stringify(result.error!.issues), /base_ur/);
    const wrongProvider = modelRoutesSchema.safeParse([{ name: 'a', provider: 'anthropic' }]);
    assert.deepEqual(wrongProvider.error!.issues[0]!.path, [0, 'provider']);
  });
});
