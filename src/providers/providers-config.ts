/**
 * What the model registry is configured with: `models:` routes from the config file (validated here so
 * config.ts can name the bad key), the provider environment variables, and `${VAR}` substitution.
 * Nothing here reads process.env; config.ts passes the environment in.
 */
import { z } from 'zod';
import type { ReplyLimits } from './reply-reader.js';
import type { UpstreamTimeouts } from './client-chat-model.js';
import type { RetryPolicy } from './retry.js';

/** One `models:` entry, LiteLLM-like. `name` may contain `*` wildcards; `*` alone catches every name. */
export const modelRouteSchema = z.strictObject({
  name: z.string().min(1),
  provider: z.enum(['openai', 'azure', 'ollama', 'openai-compatible']),
  /** Upstream model name when it differs from `name` (default: the name the run asked for). */
  model: z.string().min(1).optional(),
  /** Server base URL; for azure, the resource endpoint. */
  base_url: z.string().min(1).optional(),
  api_key: z.string().optional(),
  /** Azure deployment (default: `model`, else the name the run asked for). */
  deployment: z.string().min(1).optional(),
  api_version: z.string().min(1).optional(),
  context_window: z.number().int().positive().optional(),
  supports_tools: z.boolean().optional(),
  supports_vision: z.boolean().optional(),
});

export type ModelRoute = z.infer<typeof modelRouteSchema>;

/** The `models:` list of the config file. */
export const modelRoutesSchema = z.array(modelRouteSchema);

/**
 * The `embedding:` section of the config file. The model name is routed like chat models (a `models:` entry
 * of that name, else Azure, OpenAI, Ollama) unless `provider` is given here: then these fields are its route.
 */
export const embeddingSettingsSchema = z.strictObject({
  /** Upstream model, `models:` entry name or Azure deployment; `none` switches embeddings off. */
  model: z.string().min(1).optional(),
  dimensions: z.coerce.number().int().positive().optional(),
  provider: modelRouteSchema.shape.provider.optional(),
  base_url: z.string().min(1).optional(),
  api_key: z.string().optional(),
  api_version: z.string().min(1).optional(),
  deployment: z.string().min(1).optional(),
});

export type EmbeddingSettings = z.infer<typeof embeddingSettingsSchema>;

/** Everything the registry needs; config.ts builds it from the config file and the environment. */
export interface ProvidersConfig {
  /** Routes from the config file, tried before the environment. */
  models?: ModelRoute[];
  /** Variables for `${VAR}` in `models:` entries. */
  env?: Record<string, string | undefined>;
  /** From AZURE_OPENAI_ENDPOINT, AZURE_OPENAI_API_KEY, OPENAI_API_VERSION. */
  azure?: { endpoint: string; apiKey?: string; apiVersion?: string };
  /** From OPENAI_BASE_URL, OPENAI_API_KEY. */
  openai?: { baseURL?: string; apiKey?: string };
  /** Where models go when nothing else is configured; default http://127.0.0.1:11434/v1. */
  ollamaBaseURL?: string;
  embedding?: EmbeddingSettings;
  timeouts?: Partial<UpstreamTimeouts>;
  retry?: RetryPolicy;
  limits?: ReplyLimits;
}

export const DEFAULT_OLLAMA_BASE_URL = 'http://127.0.0.1:11434/v1';

/** The provider parts of `ProvidersConfig` from an environment map (config.ts passes process.env). */
export function providersConfigFromEnv(env: Record<string, string | undefined>): Pick<ProvidersConfig, 'azure' | 'openai' | 'env'> {
  const out: Pick<ProvidersConfig, 'azure' | 'openai' | 'env'> = { env };
  const endpoint = env.AZURE_OPENAI_ENDPOINT;
  if (endpoint) {
    out.azure = { endpoint };
    if (env.AZURE_OPENAI_API_KEY) out.azure.apiKey = env.AZURE_OPENAI_API_KEY;
    if (env.OPENAI_API_VERSION) out.azure.apiVersion = env.OPENAI_API_VERSION;
  }
  if (env.OPENAI_BASE_URL || env.OPENAI_API_KEY) {
    out.openai = {};
    if (env.OPENAI_BASE_URL) out.openai.baseURL = env.OPENAI_BASE_URL;
    if (env.OPENAI_API_KEY) out.openai.apiKey = env.OPENAI_API_KEY;
  }
  return out;
}

/** A route with `${VAR}` replaced, and the variables that were not set (the route cannot work without them). */
export interface ResolvedRoute {
  route: ModelRoute;
  missing: string[];
}

const VARIABLE = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** Replaces `${VAR}` in every string field of a route. */
export function substituteEnv(route: ModelRoute, env: Record<string, string | undefined>): ResolvedRoute {
  const missing = new Set<string>();
  const replace = (value: string) =>
    value.replace(VARIABLE, (_, name: string) => {
      const found = env[name];
      if (found === undefined) missing.add(name);
      return found ?? '';
    });
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(route)) out[key] = typeof value === 'string' ? replace(value) : value;
  return { route: out as ModelRoute, missing: [...missing] };
}

/** Compiles a route name with `*` wildcards to a whole-name matcher. */
export function nameMatcher(pattern: string): (name: string) => boolean {
  if (!pattern.includes('*')) return (name) => name === pattern;
  const source = pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*');
  const regex = new RegExp(`^${source}$`, 's');
  return (name) => regex.test(name);
}
