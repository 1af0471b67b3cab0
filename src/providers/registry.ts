/**
 * From a run's `model` name to the `ChatModel` that answers it. Order: `scripted` / `scripted:<name>`;
 * the config file's `models:` routes (exact name, then wildcards in file order); Azure from the environment;
 * OpenAI (or any compatible server) from the environment; Ollama on localhost. `resolve` never throws: a
 * route that cannot work yields a model whose calls fail with a `last_error` saying what to set.
 */
import { createAzureOpenAIModel } from './azure.js';
import { ProviderError, type ChatModel } from './chat-model.js';
import type { UpstreamTimeouts } from './client-chat-model.js';
import { DEFAULT_EMBEDDING_DIMENSIONS, DEFAULT_EMBEDDING_MODEL, type EmbeddingModel } from './embedding-model.js';
import { DEFAULT_CONTEXT_WINDOW } from './model-catalog.js';
import { createOpenAICompatibleModel } from './openai-compatible.js';
import { createOpenAIEmbeddingModel, type OpenAIEmbeddingConfig } from './openai-embedding-model.js';
import { DEFAULT_OLLAMA_BASE_URL, nameMatcher, substituteEnv, type ModelRoute, type ProvidersConfig } from './providers-config.js';
import type { ScriptSource } from './script.js';
import { createScriptedModel, isScriptedModelName } from './scripted.js';

export interface ModelRegistry {
  /** The model for a run's `model` name; `project` is the run's (named scripts belong to one). */
  resolve(name: string, project?: string): ChatModel;
  /** The embedding model for file search, or undefined when none is configured (search is then lexical only). */
  embeddingModel(): EmbeddingModel | undefined;
  /** Model names worth suggesting in a UI: scripted ones (`project`'s and server-wide) and the named routes. */
  listModels(project?: string): Promise<string[]>;
}

interface CompiledRoute {
  route: ModelRoute;
  missing: string[];
  matches: (name: string) => boolean;
}

// Upstream clients are cheap but not free; runs reuse a handful of names, so a small cache is plenty.
const CACHE_LIMIT = 256;

/** Creates the registry. Routes are validated by config.ts with `modelRoutesSchema` before they get here. */
export function createModelRegistry(config: ProvidersConfig, deps: { scriptSource: ScriptSource }): ModelRegistry {
  const env = config.env ?? {};
  const routes: CompiledRoute[] = (config.models ?? []).map((raw) => ({ ...substituteEnv(raw, env), matches: nameMatcher(raw.name) }));
  const common = {
    ...(config.timeouts ? { timeouts: config.timeouts } : {}),
    ...(config.retry ? { retry: config.retry } : {}),
    ...(config.limits ? { limits: config.limits } : {}),
  };
  const cache = new Map<string, ChatModel>();

  function findRoute(name: string): CompiledRoute | undefined {
    return routes.find((r) => r.route.name === name) ?? routes.find((r) => r.matches(name));
  }

  function build(name: string): ChatModel {
    const found = findRoute(name);
    if (found) return fromRoute(found, name, config, common);
    const azure = config.azure;
    if (azure) {
      if (!azure.apiKey) return failing(name, 'azure', 'AZURE_OPENAI_ENDPOINT is set but AZURE_OPENAI_API_KEY is not: set it');
      return createAzureOpenAIModel({
        name, endpoint: azure.endpoint, apiKey: azure.apiKey, ...(azure.apiVersion ? { apiVersion: azure.apiVersion } : {}),
        setupHint: `check AZURE_OPENAI_ENDPOINT and that a deployment named "${name}" exists, or add a models: entry`,
        keyHint: 'set AZURE_OPENAI_API_KEY', ...common,
      });
    }
    if (config.openai) {
      return createOpenAICompatibleModel({
        name, baseURL: config.openai.baseURL ?? 'https://api.openai.com/v1', ...(config.openai.apiKey ? { apiKey: config.openai.apiKey } : {}),
        setupHint: 'check OPENAI_BASE_URL, or add a models: entry to the config file', keyHint: 'set OPENAI_API_KEY', ...common,
      });
    }
    return createOpenAICompatibleModel({
      name, baseURL: config.ollamaBaseURL ?? DEFAULT_OLLAMA_BASE_URL, apiKey: 'ollama', provider: 'ollama',
      setupHint: 'no model provider is configured, so Ollama was tried; start Ollama, or set OPENAI_BASE_URL (and OPENAI_API_KEY) or AZURE_OPENAI_ENDPOINT, or add a models: entry to the config file',
      keyHint: 'set OPENAI_API_KEY', ...common,
    });
  }

  let embedding: EmbeddingModel | undefined | null = null;

  return {
    resolve(name, project) {
      if (isScriptedModelName(name)) return createScriptedModel(name, deps.scriptSource, project);
      let model = cache.get(name);
      if (!model) {
        if (cache.size >= CACHE_LIMIT) cache.clear();
        model = build(name);
        cache.set(name, model);
      }
      return model;
    },
    embeddingModel() {
      if (embedding === null) embedding = buildEmbeddingModel(config, findRoute);
      return embedding;
    },
    async listModels(project) {
      const scripts = (await deps.scriptSource.list?.(project)) ?? [];
      const named = routes.map((r) => r.route.name).filter((n) => !n.includes('*'));
      return [...new Set(['scripted', ...scripts.map((s) => `scripted:${s}`), ...named])];
    },
  };
}

type Common = { timeouts?: Partial<UpstreamTimeouts>; retry?: ProvidersConfig['retry']; limits?: ProvidersConfig['limits'] };

function fromRoute({ route, missing }: CompiledRoute, name: string, config: ProvidersConfig, common: Common): ChatModel {
  const entry = `the models: entry "${route.name}"`;
  if (missing.length > 0) return failing(name, route.provider, `${entry} uses ${missing.map((v) => `\${${v}}`).join(', ')} but ${missing.join(', ')} is not set: set it`);
  const shared = {
    name,
    ...(route.context_window ? { contextWindow: route.context_window } : {}),
    ...(route.supports_tools !== undefined ? { supportsTools: route.supports_tools } : {}),
    ...(route.supports_vision !== undefined ? { supportsVision: route.supports_vision } : {}),
    setupHint: `check base_url of ${entry}`,
    keyHint: `check api_key of ${entry}`,
    ...common,
  };
  if (route.provider === 'azure') {
    const endpoint = route.base_url ?? config.azure?.endpoint;
    const apiKey = route.api_key ?? config.azure?.apiKey;
    if (!endpoint || !apiKey) return failing(name, 'azure', `${entry} needs base_url and api_key (or AZURE_OPENAI_ENDPOINT and AZURE_OPENAI_API_KEY): set them`);
    const apiVersion = route.api_version ?? config.azure?.apiVersion;
    return createAzureOpenAIModel({ ...shared, endpoint, apiKey, deployment: route.deployment ?? route.model ?? name, ...(apiVersion ? { apiVersion } : {}) });
  }
  const baseURL = route.base_url ?? defaultBaseURL(route.provider, config);
  if (!baseURL) return failing(name, route.provider, `${entry} needs base_url: set it`);
  const apiKey = route.api_key ?? (route.provider === 'openai' ? config.openai?.apiKey : undefined);
  return createOpenAICompatibleModel({
    ...shared, baseURL, provider: route.provider, upstreamModel: route.model ?? name, ...(apiKey ? { apiKey } : {}),
  });
}

function defaultBaseURL(provider: ModelRoute['provider'], config: ProvidersConfig): string | undefined {
  if (provider === 'openai') return 'https://api.openai.com/v1';
  if (provider === 'ollama') return config.ollamaBaseURL ?? DEFAULT_OLLAMA_BASE_URL;
  return undefined;
}

/** A model that cannot work: every call fails with `message`, so the run's last_error says what to fix. */
function failing(name: string, provider: string, message: string): ChatModel {
  return {
    info: { name, provider, contextWindow: DEFAULT_CONTEXT_WINDOW, supportsTools: true, supportsVision: false },
    async *stream() {
      throw new ProviderError('server_error', message);
    },
  };
}

/**
 * Embeddings follow the chat order for the embedding model's name (routes, Azure, OpenAI); Ollama only when
 * the config names an embedding model, since the default name exists only at OpenAI and Azure.
 */
function buildEmbeddingModel(config: ProvidersConfig, findRoute: (name: string) => CompiledRoute | undefined): EmbeddingModel | undefined {
  const model = config.embedding?.model ?? DEFAULT_EMBEDDING_MODEL;
  const base: OpenAIEmbeddingConfig = { model, dimensions: config.embedding?.dimensions ?? DEFAULT_EMBEDDING_DIMENSIONS, ...(config.retry ? { retry: config.retry } : {}) };
  if (config.timeouts?.requestMs) base.requestTimeoutMs = config.timeouts.requestMs;
  const found = findRoute(model);
  if (found && found.missing.length === 0) {
    const { route } = found;
    const upstream = route.deployment ?? route.model ?? model;
    if (route.provider === 'azure') {
      const endpoint = route.base_url ?? config.azure?.endpoint;
      const apiKey = route.api_key ?? config.azure?.apiKey;
      const apiVersion = route.api_version ?? config.azure?.apiVersion;
      if (!endpoint || !apiKey) return undefined;
      return createOpenAIEmbeddingModel({ ...base, model: upstream, azure: { endpoint, apiKey, ...(apiVersion ? { apiVersion } : {}) } });
    }
    const baseURL = route.base_url ?? defaultBaseURL(route.provider, config);
    if (!baseURL) return undefined;
    const apiKey = route.api_key ?? (route.provider === 'openai' ? config.openai?.apiKey : undefined);
    return createOpenAIEmbeddingModel({ ...base, model: upstream, baseURL, ...(apiKey ? { apiKey } : {}) });
  }
  if (config.azure?.apiKey) {
    const { endpoint, apiKey, apiVersion } = config.azure;
    return createOpenAIEmbeddingModel({ ...base, azure: { endpoint, apiKey, ...(apiVersion ? { apiVersion } : {}) } });
  }
  if (config.openai) {
    return createOpenAIEmbeddingModel({ ...base, baseURL: config.openai.baseURL ?? 'https://api.openai.com/v1', ...(config.openai.apiKey ? { apiKey: config.openai.apiKey } : {}) });
  }
  if (config.embedding?.model) return createOpenAIEmbeddingModel({ ...base, baseURL: config.ollamaBaseURL ?? DEFAULT_OLLAMA_BASE_URL });
  return undefined;
}
