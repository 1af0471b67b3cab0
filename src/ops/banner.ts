/**
 * What a person reads at start-up: where the server listens, what it stores into, which model providers a run
 * can reach (never their keys), and how it is protected. Logged as one record, fields by name.
 */
import { join } from 'node:path';
import type { Config } from '../config.js';
import type { EmbeddingModel } from '../providers/embedding-model.js';
import { DEFAULT_OLLAMA_BASE_URL, substituteEnv, type ProvidersConfig } from '../providers/providers-config.js';
import type { SandboxStatus } from '../sandbox/sandbox.js';
import { describeDatabaseUrl } from './startup-errors.js';

export interface StartupFacts {
  version: string;
  config: Config;
  providers: ProvidersConfig;
  embedding: EmbeddingModel | undefined;
  /** Undefined when this process executes no runs (ASSISTD_RUN_CAPACITY=0) and so starts no sandbox. */
  sandbox: SandboxStatus | undefined;
  activeKeys: number;
  /** Where the API listens; absent for `assistd worker`. */
  url?: string;
}

/** A URL without user:password, for display. */
function publicUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    return parsed.toString().replace(/\/$/, '');
  } catch {
    return url;
  }
}

export function describeDatabase(config: Config): string {
  const url = config.databaseUrl;
  if (url && /^postgres(ql)?:\/\//.test(url)) return `Postgres ${describeDatabaseUrl(url)}`;
  return `SQLite ${url?.startsWith('sqlite:') ? url.slice('sqlite:'.length) : join(config.dataDir, 'assistd.sqlite')}`;
}

/** The providers a run's model name can reach, in the order the registry tries them. */
export function describeProviders(providers: ProvidersConfig): { models: string; unknownModels: string } {
  const env = providers.env ?? {};
  const routes = (providers.models ?? []).map((raw) => {
    const { route } = substituteEnv(raw, env);
    const where = route.base_url ? publicUrl(route.base_url) : route.provider === 'azure' ? 'AZURE_OPENAI_ENDPOINT' : route.provider === 'openai' ? 'https://api.openai.com/v1' : route.provider === 'ollama' ? DEFAULT_OLLAMA_BASE_URL : '(no base_url)';
    return `${route.name} → ${route.provider} ${where}`;
  });
  const listed = ['scripted (built in)', ...routes];
  if (providers.azure) listed.push(`Azure OpenAI ${publicUrl(providers.azure.endpoint)} (AZURE_OPENAI_ENDPOINT${providers.azure.apiKey ? '' : ', no AZURE_OPENAI_API_KEY'})`);
  if (providers.openai) listed.push(`OpenAI-compatible ${publicUrl(providers.openai.baseURL ?? 'https://api.openai.com/v1')} (OPENAI_BASE_URL/OPENAI_API_KEY)`);
  const catchAll = (providers.models ?? []).find((r) => r.name === '*');
  const unknownModels = catchAll
    ? 'go to the models: entry "*"'
    : providers.azure
      ? `go to the Azure deployment of that name at ${publicUrl(providers.azure.endpoint)}`
      : providers.openai
        ? `go to ${publicUrl(providers.openai.baseURL ?? 'https://api.openai.com/v1')}`
        : `go to Ollama at ${providers.ollamaBaseURL ?? DEFAULT_OLLAMA_BASE_URL} (no provider is configured; see README "Models")`;
  return { models: listed.join('; '), unknownModels };
}

function describeSandbox(facts: StartupFacts): string {
  if (!facts.sandbox) return 'off: this process executes no runs (ASSISTD_RUN_CAPACITY=0)';
  if (!facts.sandbox.available) return `unavailable: ${facts.sandbox.reason ?? 'unknown reason'} (code_interpreter runs will fail)`;
  return `${facts.config.codeForkServer ? 'forked from a zygote (bubblewrap if it cannot start)' : 'bubblewrap'}, ${facts.config.codePoolSize} warm worker(s) starting`;
}

function describeAuth(facts: StartupFacts): string {
  const parts = [];
  if (facts.config.apiKey) parts.push('ASSISTD_API_KEY');
  if (facts.activeKeys > 0) parts.push(`${facts.activeKeys} project key(s)`);
  return parts.length ? `keys: ${parts.join(' + ')}` : 'no key: 127.0.0.1 only (set ASSISTD_API_KEY or run `assistd keys create`)';
}

/** The banner's fields, all plain strings. */
export function startupBanner(facts: StartupFacts): Record<string, string> {
  const { models, unknownModels } = describeProviders(facts.providers);
  return {
    version: facts.version,
    ...(facts.url ? { url: facts.url, playground: `${facts.url}/` } : {}),
    database: describeDatabase(facts.config),
    models,
    unknownModels,
    embeddings: facts.embedding ? `${facts.embedding.name} (${facts.embedding.dimensions} dimensions)` : 'none: file_search is lexical only',
    sandbox: describeSandbox(facts),
    ...(facts.url ? { auth: describeAuth(facts) } : {}),
  };
}

/** `${VAR}`s that `models:` entries use and the environment does not set: those entries cannot work. */
export function missingModelVariables(providers: ProvidersConfig): Array<{ entry: string; missing: string[] }> {
  return (providers.models ?? [])
    .map((route) => ({ entry: route.name, missing: substituteEnv(route, providers.env ?? {}).missing }))
    .filter((found) => found.missing.length > 0);
}
