import { readFileSync, existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { modelRouteSchema } from './providers/providers-config.js';

/**
 * Settings in order of precedence: command-line flags > environment > config file (`assistd.yaml`, or the path in
 * ASSISTD_CONFIG) > defaults. This is the only module that reads process.env.
 */
const fileSchema = z.strictObject({
  host: z.string().optional(),
  port: z.coerce.number().int().min(0).max(65535).optional(),
  data_dir: z.string().optional(),
  database_url: z.string().optional(),
  api_key: z.string().optional(),
  log_level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional(),
  max_file_bytes: z.coerce.number().int().positive().optional(),
  max_body_bytes: z.coerce.number().int().positive().optional(),
  models: z.array(z.record(z.string(), z.unknown())).optional(),
  code_timeout_seconds: z.coerce.number().positive().optional(),
  code_session_ttl_seconds: z.coerce.number().positive().optional(),
  code_session_idle_seconds: z.coerce.number().positive().optional(),
  code_pool_size: z.coerce.number().int().min(0).max(64).optional(),
  run_lease_seconds: z.coerce.number().int().min(1).max(3600).optional(),
  shutdown_grace_seconds: z.coerce.number().int().min(0).max(3600).optional(),
  run_capacity: z.coerce.number().int().min(0).max(100_000).optional(),
});

export type FileConfig = z.infer<typeof fileSchema>;

export interface Config {
  host: string;
  /** True when HOST was given explicitly; with no API key the server still binds to loopback only. */
  hostExplicit: boolean;
  port: number;
  dataDir: string;
  databaseUrl?: string;
  apiKey?: string;
  logLevel: NonNullable<FileConfig['log_level']>;
  maxFileBytes: number;
  maxBodyBytes: number;
  /** Raw `models:` routes, validated by the provider registry. */
  models: Array<Record<string, unknown>>;
  codeTimeoutSeconds: number;
  /** Longest life of a code_interpreter session (one per thread), and how long it may sit idle. */
  codeSessionTtlSeconds: number;
  codeSessionIdleSeconds: number;
  /** Sandbox workers kept started for new sessions. */
  codePoolSize: number;
  /** How long a worker's claim on a run lasts without renewal; a crashed worker's runs are taken over after it. */
  runLeaseSeconds: number;
  /** On SIGTERM, how long runs in flight may take to finish before they are failed. */
  shutdownGraceSeconds: number;
  /** Runs this process executes at once; 0 makes it an API-only replica that leaves runs to others. */
  runCapacity: number;
  /** The environment variables providers may use (OPENAI_*, AZURE_OPENAI_*, and `${ENV}` substitution). */
  env: Record<string, string | undefined>;
}

export class ConfigError extends Error {}

const ENV_KEYS: Record<string, keyof FileConfig> = {
  HOST: 'host',
  PORT: 'port',
  ASSISTD_DATA_DIR: 'data_dir',
  DATABASE_URL: 'database_url',
  ASSISTD_API_KEY: 'api_key',
  LOG_LEVEL: 'log_level',
  ASSISTD_MAX_FILE_BYTES: 'max_file_bytes',
  ASSISTD_MAX_BODY_BYTES: 'max_body_bytes',
  ASSISTD_CODE_TIMEOUT_SECONDS: 'code_timeout_seconds',
  ASSISTD_CODE_SESSION_TTL_SECONDS: 'code_session_ttl_seconds',
  ASSISTD_CODE_SESSION_IDLE_SECONDS: 'code_session_idle_seconds',
  ASSISTD_CODE_POOL_SIZE: 'code_pool_size',
  ASSISTD_RUN_LEASE_SECONDS: 'run_lease_seconds',
  ASSISTD_SHUTDOWN_GRACE_SECONDS: 'shutdown_grace_seconds',
  ASSISTD_RUN_CAPACITY: 'run_capacity',
};

function readConfigFile(path: string | undefined, required: boolean): Record<string, unknown> {
  const file = path ?? 'assistd.yaml';
  if (!existsSync(file)) {
    if (required) throw new ConfigError(`config file ${file} (from ASSISTD_CONFIG) does not exist`);
    return {};
  }
  try {
    return (parseYaml(readFileSync(file, 'utf8')) as Record<string, unknown> | null) ?? {};
  } catch (err) {
    throw new ConfigError(`config file ${file} is not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
}

/** How a bad setting is named to the operator: the env variable, the flag, or the config file key. */
type SettingLabel = (key: string) => string;

function validate(raw: Record<string, unknown>, source: string, label: SettingLabel = (key) => `'${key}'`): FileConfig {
  const result = fileSchema.safeParse(raw);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  if (issue.code === 'unrecognized_keys') throw new ConfigError(`unknown setting ${issue.keys.map(label).join(', ')} in ${source}; see docs/configuration.md`);
  throw new ConfigError(`invalid setting ${label(issue.path.join('.'))} in ${source}: ${issue.message}`);
}

const ENV_NAMES = Object.fromEntries(Object.entries(ENV_KEYS).map(([name, key]) => [key, name]));

/** Checks each `models:` entry, so a bad one is named (entry, key, what is allowed) before anything starts. */
function validateModels(models: Array<Record<string, unknown>>, source: string): Array<Record<string, unknown>> {
  const allowed = Object.keys(modelRouteSchema.shape);
  models.forEach((entry, index) => {
    const result = modelRouteSchema.safeParse(entry);
    if (result.success) return;
    const issue = result.error.issues[0]!;
    const name = typeof entry?.name === 'string' ? ` ("${entry.name}")` : '';
    const where = `models[${index}]${name} in ${source}`;
    if (issue.code === 'unrecognized_keys') throw new ConfigError(`${where}: unknown key ${issue.keys.map((k) => `'${k}'`).join(', ')}; allowed keys: ${allowed.join(', ')}`);
    const key = issue.path.join('.');
    if (issue.code === 'invalid_value') throw new ConfigError(`${where}: '${key}' must be one of ${issue.values.map(String).join(', ')}`);
    throw new ConfigError(`${where}: ${key ? `'${key}' ` : ''}${issue.message.replace(/^Invalid input: /, '')}`);
  });
  return models;
}

/** Builds the typed config; throws ConfigError naming the bad key. */
export function loadConfig(flags: Partial<FileConfig> = {}, env: NodeJS.ProcessEnv = process.env): Config {
  const fileName = env.ASSISTD_CONFIG ?? 'assistd.yaml';
  const fromFile = validate(readConfigFile(env.ASSISTD_CONFIG, env.ASSISTD_CONFIG !== undefined), `the config file ${fileName}`);
  const envRaw: Record<string, unknown> = {};
  for (const [name, key] of Object.entries(ENV_KEYS)) {
    if (env[name] !== undefined && env[name] !== '') envRaw[key] = env[name];
  }
  const fromEnv = validate(envRaw, 'the environment', (key) => ENV_NAMES[key] ?? key);
  const fromFlags = validate(flags as Record<string, unknown>, 'the command line', (key) => `--${key.replace(/_/g, '-')}`);
  const merged = { ...fromFile, ...fromEnv, ...fromFlags };
  return {
    host: merged.host ?? '127.0.0.1',
    hostExplicit: merged.host !== undefined,
    port: merged.port ?? 8080,
    dataDir: resolve(merged.data_dir ?? 'data'),
    databaseUrl: merged.database_url,
    apiKey: merged.api_key,
    logLevel: merged.log_level ?? 'info',
    maxFileBytes: merged.max_file_bytes ?? 512 * 1024 * 1024,
    maxBodyBytes: merged.max_body_bytes ?? 10 * 1024 * 1024,
    models: validateModels(merged.models ?? [], `the config file ${fileName}`),
    codeTimeoutSeconds: merged.code_timeout_seconds ?? 120,
    codeSessionTtlSeconds: merged.code_session_ttl_seconds ?? 3600,
    codeSessionIdleSeconds: merged.code_session_idle_seconds ?? 1800,
    codePoolSize: merged.code_pool_size ?? 2,
    runLeaseSeconds: merged.run_lease_seconds ?? 30,
    shutdownGraceSeconds: merged.shutdown_grace_seconds ?? 25,
    runCapacity: merged.run_capacity ?? 512,
    env: { ...env },
  };
}
