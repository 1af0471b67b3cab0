/**
 * From a run's `model` name to the `ChatModel` that answers it. Order: `scripted` / `scripted:<name>`;
 * the config file's `models:` routes (exact name, then wildcards in file order); Azure from the environment;
 * OpenAI (or any compatible server) from the environment; Ollama on localhost. `resolve` never throws: a
 * route that cannot work yields a model whose calls fail with a `last_error` saying what to set.
 */
import { createAzureOpenAIModel } from './azure.js';
import { ProviderError, type ChatModel } from './chat-model.js';
import type { UpstreamTimeouts } from './client-chat-model.js';
import { DEFAULT_EMBEDDING_DIMENSIONS, DEFAULT_EMBEDDING_MODEL, embeddingKey, type EmbeddingModel } from './embedding-model.js';
import { DEFAULT_CONTEXT_WINDOW } from './model-catalog.js';
import { createUpstreamModelLister, type ListedUpstream, type ModelEntry, type UpstreamModelLister } from './model-list.js';
import { createOpenAICompatibleModel } from './openai-compatible.js';
import { createEmbeddingsClient, createOpenAIEmbeddingModel, type EmbeddingsClient, type EmbeddingsUpstreamConfig } from './openai-embedding-model.js';
import { DEFAULT_OLLAMA_BASE_URL, nameMatcher, substituteEnv, type EmbeddingSettings, type ModelRoute, type ProvidersConfig } from './providers-config.js';
import type { ScriptSource } from './script.js';
import { createScriptedModel, isScriptedModelName } from './scripted.js';

/** Whose model calls these are: a run (its key is stored with it) or a response's API key. */
export type ModelCaller = { runId: string } | { keyId: string };

export interface ModelRegistry {
  /**
   * The model for a run's `model` name; `project` is the run's (named scripts belong to one); `caller`, the run
   * the calls are for or the API key (its hash) of a response (per-key token limits count them against that key).
   */
  resolve(name: string, project?: string, caller?: ModelCaller): ChatModel;
  /** The embedding model for file search, or undefined when none is configured (search is then lexical only). */
  embeddingModel(): EmbeddingModel | undefined;
  /** The `/embeddings` endpoint for a request's `model` name, routed like chat models. */
  embeddings(name: string): EmbeddingsClient;
  /**
   * What `GET /models` shows: `scripted` and the stored scripts (`project`'s and server-wide), the config file's named routes, and the models
   * the OpenAI-compatible upstreams list that this registry would send to that same upstream.
   */
  listModels(project?: string): Promise<ModelEntry[]>;
}

interface CompiledRoute {
  route: ModelRoute;
  missing: string[];
  matches: (name: string) => boolean;
}

// Upstream clients are cheap but not free; runs reuse a handful of names, so a small cache is plenty.
const CACHE_LIMIT = 256;

/** Creates the registry. Routes are validated by config.ts with `modelRoutesSchema` before they get here. */
export function createModelRegistry(config: ProvidersConfig, deps: { scriptSource: ScriptSource; listUpstream?: UpstreamModelLister }): ModelRegistry {
  const env = config.env ?? {};
  const routes: CompiledRoute[] = (config.models ?? []).map((raw) => ({ ...substituteEnv(raw, env), matches: nameMatcher(raw.name) }));
  const common = {
    ...(config.timeouts ? { timeouts: config.timeouts } : {}),
    ...(config.retry ? { retry: config.retry } : {}),
    ...(config.limits ? { limits: config.limits } : {}),
  };
  const cache = new Map<string, ChatModel>();
  const listUpstream = deps.listUpstream ?? createUpstreamModelLister();

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
  const embeddingClients = new Map<string, EmbeddingsClient>();

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
    embeddings(name) {
      let client = embeddingClients.get(name);
      if (!client) {
        if (embeddingClients.size >= CACHE_LIMIT) embeddingClients.clear();
        client = buildEmbeddingsClient(name, config, findRoute);
        embeddingClients.set(name, client);
      }
      return client;
    },
    async listModels(project) {
      const targets = new Map<string, ListedUpstream>();
      for (const upstream of [...routes.map((r) => routeUpstream(r, config)), envUpstream(config)]) {
        if (upstream) targets.set(`${upstream.baseURL}\n${upstream.apiKey ?? ''}`, upstream);
      }
      const [scripts, ...listed] = await Promise.all([deps.scriptSource.list?.(project) ?? [], ...[...targets.values()].map(listUpstream)]);
      const out = new Map<string, ModelEntry>();
      const add = (id: string, owned_by: string) => out.has(id) || out.set(id, { id, object: 'model', created: createdAt, owned_by });
      add('scripted', 'assistd');
      for (const name of scripts) add(`scripted:${name}`, 'assistd');
      for (const { route } of routes) if (!route.name.includes('*')) add(route.name, route.provider);
      [...targets.values()].forEach((upstream, i) => {
        for (const entry of listed[i]!) {
          const goesTo = upstreamFor(entry.id);
          if (!out.has(entry.id) && goesTo && sameUpstream(goesTo, upstream)) out.set(entry.id, entry);
        }
      });
      return [...out.values()];
    },
  };

  /** The OpenAI-compatible upstream a model name is sent to (undefined for scripted, Azure and broken routes). */
  function upstreamFor(name: string): ListedUpstream | undefined {
    if (isScriptedModelName(name)) return undefined;
    const found = findRoute(name);
    return found ? routeUpstream(found, config) : envUpstream(config);
  }
}

/** Listed ids are created "now" as far as clients can tell: when the server started. */
const createdAt = Math.floor(Date.now() / 1000);

function sameUpstream(a: ListedUpstream, b: ListedUpstream): boolean {
  return a.baseURL === b.baseURL && (a.apiKey ?? '') === (b.apiKey ?? '');
}

function routeUpstream({ route, missing }: CompiledRoute, config: ProvidersConfig): ListedUpstream | undefined {
  if (missing.length > 0 || route.provider === 'azure') return undefined;
  const baseURL = route.base_url ?? defaultBaseURL(route.provider, config);
  if (!baseURL) return undefined;
  const apiKey = route.api_key ?? (route.provider === 'openai' ? config.openai?.apiKey : undefined);
  return { baseURL: baseURL.replace(/\/+$/, ''), ...(apiKey ? { apiKey } : {}), owner: route.provider };
}

/** Where names no route takes go, unless that is Azure (whose deployments cannot be listed with a data-plane key). */
function envUpstream(config: ProvidersConfig): ListedUpstream | undefined {
  if (config.azure) return undefined;
  if (config.openai) {
    const { baseURL = 'https://api.openai.com/v1', apiKey } = config.openai;
    return { baseURL: baseURL.replace(/\/+$/, ''), ...(apiKey ? { apiKey } : {}), owner: 'openai' };
  }
  return { baseURL: (config.ollamaBaseURL ?? DEFAULT_OLLAMA_BASE_URL).replace(/\/+$/, ''), owner: 'ollama' };
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
 * Where embeddings for `name` come from, in the chat order: the `embedding:` section's own provider (for the
 * configured model only), `models:` routes, Azure, OpenAI, then Ollama. A string says what to set instead.
 */
function embeddingsUpstream(name: string, config: ProvidersConfig, findRoute: (name: string) => CompiledRoute | undefined, fallbackToOllama: boolean): EmbeddingsUpstreamConfig | string | undefined {
  const base: EmbeddingsUpstreamConfig = { model: name, ...(config.retry ? { retry: config.retry } : {}) };
  if (config.timeouts?.requestMs) base.requestTimeoutMs = config.timeouts.requestMs;
  const own = config.embedding?.provider && name === config.embedding.model ? inlineRoute(config.embedding, config.env ?? {}) : undefined;
  const found = own ?? findRoute(name);
  if (found) {
    const { route, missing } = found;
    const entry = own ? 'the embedding: section' : `the models: entry "${route.name}"`;
    if (missing.length > 0) return `${entry} uses ${missing.map((v) => `\${${v}}`).join(', ')} but ${missing.join(', ')} is not set: set it`;
    const hints = { setupHint: `check base_url of ${entry}`, keyHint: `check api_key of ${entry}` };
    if (route.provider === 'azure') {
      const endpoint = route.base_url ?? config.azure?.endpoint;
      const apiKey = route.api_key ?? config.azure?.apiKey;
      const apiVersion = route.api_version ?? config.azure?.apiVersion;
      if (!endpoint || !apiKey) return `${entry} needs base_url and api_key (or AZURE_OPENAI_ENDPOINT and AZURE_OPENAI_API_KEY): set them`;
      return { ...base, ...hints, model: route.deployment ?? route.model ?? name, azure: { endpoint, apiKey, ...(apiVersion ? { apiVersion } : {}) } };
    }
    const baseURL = route.base_url ?? defaultBaseURL(route.provider, config);
    if (!baseURL) return `${entry} needs base_url: set it`;
    const apiKey = route.api_key ?? (route.provider === 'openai' ? config.openai?.apiKey : undefined);
    return { ...base, ...hints, model: route.model ?? name, baseURL, ...(apiKey ? { apiKey } : {}) };
  }
  if (config.azure) {
    const { endpoint, apiKey, apiVersion } = config.azure;
    if (!apiKey) return 'AZURE_OPENAI_ENDPOINT is set but AZURE_OPENAI_API_KEY is not: set it';
    return { ...base, azure: { endpoint, apiKey, ...(apiVersion ? { apiVersion } : {}) }, setupHint: `check AZURE_OPENAI_ENDPOINT and that a deployment named "${name}" exists, or set the embedding model` };
  }
  if (config.openai) {
    return { ...base, baseURL: config.openai.baseURL ?? 'https://api.openai.com/v1', ...(config.openai.apiKey ? { apiKey: config.openai.apiKey } : {}), setupHint: 'check OPENAI_BASE_URL, or set the embedding model' };
  }
  if (!fallbackToOllama) return undefined;
  return { ...base, baseURL: config.ollamaBaseURL ?? DEFAULT_OLLAMA_BASE_URL, setupHint: 'no model provider is configured, so Ollama was tried; start Ollama, or set ASSISTD_EMBEDDING_BASE_URL, OPENAI_BASE_URL or AZURE_OPENAI_ENDPOINT' };
}

/** The `embedding:` section's provider settings as a route serving just its model. */
function inlineRoute(settings: EmbeddingSettings, env: Record<string, string | undefined>): CompiledRoute {
  const { model, provider, base_url, api_key, api_version, deployment } = settings;
  const raw: ModelRoute = { name: model!, provider: provider!, ...(base_url ? { base_url } : {}), ...(api_key ? { api_key } : {}), ...(api_version ? { api_version } : {}), ...(deployment ? { deployment } : {}) };
  return { ...substituteEnv(raw, env), matches: (name) => name === model };
}

/**
 * The file_search embedding model: the `embedding:` section's model (default text-embedding-3-large, which
 * exists only at OpenAI and Azure, so Ollama is tried only for a named model); `none` switches embeddings off.
 */
function buildEmbeddingModel(config: ProvidersConfig, findRoute: (name: string) => CompiledRoute | undefined): EmbeddingModel | undefined {
  const settings = config.embedding ?? {};
  if (settings.model === 'none') return undefined;
  const name = settings.model ?? DEFAULT_EMBEDDING_MODEL;
  const upstream = embeddingsUpstream(name, config, findRoute, settings.model !== undefined);
  if (upstream === undefined) return undefined;
  const dimensions = settings.dimensions ?? (name === DEFAULT_EMBEDDING_MODEL ? DEFAULT_EMBEDDING_DIMENSIONS : undefined);
  if (typeof upstream === 'string') return failingEmbeddings(name, dimensions, upstream);
  return createOpenAIEmbeddingModel({ ...upstream, ...(dimensions !== undefined ? { dimensions } : {}) });
}

/** An embedding model that cannot work: ingestion indexes lexically and logs `message`, which says what to set. */
function failingEmbeddings(name: string, dimensions: number | undefined, message: string): EmbeddingModel {
  return {
    name,
    ...(dimensions !== undefined ? { dimensions } : {}),
    key: embeddingKey(name, dimensions),
    embed: () => Promise.reject(new ProviderError('server_error', message)),
  };
}

/** The `/embeddings` endpoint a model name routes to; a route that cannot work fails its calls saying what to set. */
function buildEmbeddingsClient(name: string, config: ProvidersConfig, findRoute: (name: string) => CompiledRoute | undefined): EmbeddingsClient {
  const upstream = embeddingsUpstream(name, config, findRoute, true)!;
  if (typeof upstream !== 'string') return createEmbeddingsClient(upstream);
  return { model: name, create: () => Promise.reject(new ProviderError('server_error', upstream)) };
}
