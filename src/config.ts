import { readFileSync, existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import type { S3Settings } from './blobs/s3-client.js';
import { FTS5_TOKENIZERS, SEARCH_LANGUAGES, type SearchLanguage } from './store/search-language.js';
import { embeddingSettingsSchema, modelRouteSchema, type EmbeddingSettings } from './providers/providers-config.js';

/** The code sandbox's resource limits per session (docs/sandbox.md): file keys, env names, typed values. */
const codeLimitsSchema = {
  code_memory_mb: z.coerce.number().int().min(128).optional(),
  code_cpus: z.coerce.number().min(0.05).max(1024).optional(),
  code_disk_mb: z.coerce.number().int().min(16).optional(),
  code_max_sessions: z.coerce.number().int().min(1).max(100_000).optional(),
  code_output_files_per_call: z.coerce.number().int().min(0).optional(),
  code_output_mb_per_call: z.coerce.number().min(0).optional(),
  code_output_files_per_session: z.coerce.number().int().min(0).optional(),
  code_output_mb_per_session: z.coerce.number().min(0).optional(),
};
const CODE_LIMITS_ENV = Object.fromEntries(Object.keys(codeLimitsSchema).map((key) => [`ASSISTD_${key.toUpperCase()}`, key])) as Record<string, keyof typeof codeLimitsSchema>;

/** file_search: bounds of the in-memory copies of searched stores (docs/configuration.md, "File search"). */
const searchCacheSchema = {
  vector_cache_mb: z.coerce.number().min(0).optional(),
  vector_cache_stores: z.coerce.number().int().min(1).optional(),
};
const SEARCH_CACHE_ENV = { ASSISTD_VECTOR_CACHE_MB: 'vector_cache_mb', ASSISTD_VECTOR_CACHE_STORES: 'vector_cache_stores' } as const;

function searchCache(merged: FileConfig): { maxBytes: number; maxStores: number } {
  return { maxBytes: Math.round((merged.vector_cache_mb ?? 256) * 1024 * 1024), maxStores: merged.vector_cache_stores ?? 1000 };
}

/** file_search: the language the lexical index stems in (docs/configuration.md, "Search language"). */
const searchLanguageSchema = { search_language: z.enum(SEARCH_LANGUAGES).optional() };
const SEARCH_LANGUAGE_ENV = { ASSISTD_SEARCH_LANGUAGE: 'search_language' } as const;

/** Languages other than english and none stem on Postgres only: SQLite's FTS5 has no stemmer for them. */
function searchLanguage(merged: FileConfig): SearchLanguage {
  const language = merged.search_language ?? 'english';
  const postgres = merged.database_url !== undefined && /^postgres(ql)?:\/\//.test(merged.database_url);
  if (!postgres && !FTS5_TOKENIZERS[language]) throw new ConfigError(`search_language ${language} needs Postgres (DATABASE_URL): on SQLite it is english or none`);
  return language;
}

export interface CodeLimits {
  memoryMb: number;
  cpus: number;
  diskMb: number;
  maxSessions: number;
  outputFilesPerCall: number;
  outputMbPerCall: number;
  outputFilesPerSession: number;
  outputMbPerSession: number;
}

function codeLimits(merged: FileConfig): CodeLimits {
  return {
    memoryMb: merged.code_memory_mb ?? 2048,
    cpus: merged.code_cpus ?? 1,
    diskMb: merged.code_disk_mb ?? 512,
    maxSessions: merged.code_max_sessions ?? 32,
    outputFilesPerCall: merged.code_output_files_per_call ?? 50,
    outputMbPerCall: merged.code_output_mb_per_call ?? 128,
    outputFilesPerSession: merged.code_output_files_per_session ?? 500,
    outputMbPerSession: merged.code_output_mb_per_session ?? 1024,
  };
}

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
  code_fork_server: z.union([z.boolean(), z.enum(['true', 'false', '1', '0'])]).optional(),
  run_lease_seconds: z.coerce.number().int().min(1).max(3600).optional(),
  shutdown_grace_seconds: z.coerce.number().int().min(0).max(3600).optional(),
  run_capacity: z.coerce.number().int().min(0).max(100_000).optional(),
  embedding: z.lazy(() => embeddingBlockSchema).optional(),
  poll_hold_ms: z.coerce.number().int().min(0).max(30_000).optional(),
  ingest_yield_ms: z.coerce.number().int().min(0).max(10_000).optional(),
  ...codeLimitsSchema,
  ...searchCacheSchema,
  ...searchLanguageSchema,
  // Upstream model calls and run expiry: every wait bounded (docs/configuration.md, "Upstream limits").
  upstream_timeout_seconds: z.coerce.number().positive().optional(),
  upstream_idle_seconds: z.coerce.number().positive().optional(),
  upstream_total_seconds: z.coerce.number().positive().optional(),
  upstream_max_retries: z.coerce.number().int().min(0).max(10).optional(),
  upstream_max_retry_after_seconds: z.coerce.number().min(0).optional(),
  upstream_max_event_bytes: z.coerce.number().int().positive().optional(),
  upstream_max_reply_bytes: z.coerce.number().int().positive().optional(),
  run_expiry_seconds: z.coerce.number().int().min(1).max(7 * 24 * 3600).optional(),
  blob_sweep_grace_seconds: z.coerce.number().min(0).optional(),
  // Object storage for file bytes (docs/deploy.md, "Object storage").
  blob_url: z.string().regex(/^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/.*)?$/, 's3://bucket or s3://bucket/prefix').optional(),
  blob_path_style: z.union([z.boolean(), z.stringbool()]).optional(),
  blob_cache_mb: z.coerce.number().int().min(1).optional(),
  rate_limits: z.lazy(() => rateLimitsSchema).optional(),
  max_open_streams: z.coerce.number().int().min(1).max(1_000_000).optional(),
  /** Server-wide named scripts for the scripted model, by name (each project may still store its own). */
  scripts: z.record(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/), z.unknown()).optional(),
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
  /** Fork code sessions from a zygote (docs/sandbox.md); false: a bubblewrap process per session. */
  codeForkServer: boolean;
  codeLimits: CodeLimits;
  /** How long a worker's claim on a run lasts without renewal; a crashed worker's runs are taken over after it. */
  runLeaseSeconds: number;
  /** On SIGTERM, how long runs in flight may take to finish before they are failed. */
  shutdownGraceSeconds: number;
  /** Runs this process executes at once; 0 makes it an API-only replica that leaves runs to others. */
  runCapacity: number;
  /** Bounds of file_search's in-memory copies of searched stores: bytes and number of stores. */
  searchCache: { maxBytes: number; maxStores: number };
  /** The language file_search's lexical index stems in; a change rebuilds the index at the next start. */
  searchLanguage: SearchLanguage;
  /** The file_search embedding model and where it is served (see docs/configuration.md). */
  embedding: EmbeddingSettings;
  /** How often chunks indexed without vectors are retried while the embedding model is unreachable. */
  embeddingRetrySeconds: number;
  /**
   * How long a retrieve from an SDK poll helper (a run, a vector store file) may wait for the object to change
   * before answering, so `createAndPoll` returns when the run does; 0 answers at once.
   */
  pollHoldMs: number;
  /**
   * While requests or runs are in flight and the event loop is busy, file ingestion takes at most one
   * main-thread step per this many milliseconds (it yields to them); 0 never holds it back.
   */
  ingestYieldMs: number;
  /** Bounds on every upstream model call. */
  upstream: UpstreamSettings;
  /** Seconds from a run's creation to its `expires_at`; a run not finished by then ends `expired`. */
  runExpirySeconds: number;
  /** Raw `scripts:` of the config file: server-wide named scripts, validated at start. */
  scripts: Record<string, unknown>;
  /** At start, leftover blobs (half-written, or with no file row) untouched this long are removed. */
  blobSweepGraceSeconds: number;
  /** File bytes in an S3-compatible bucket instead of the data directory; undefined: the data directory. */
  objectStorage: ObjectStorageSettings | undefined;
  /** Per key and per project limits from the config file's `rate_limits:`; undefined: none. */
  rateLimits: RateLimitSettings | undefined;
  /** Server-sent event streams this process serves at once; a stream asked for past it is refused (503). */
  maxOpenStreams: number;
  /** The environment variables providers may use (OPENAI_*, AZURE_OPENAI_*, and `${ENV}` substitution). */
  env: Record<string, string | undefined>;
  /** Where OpenTelemetry spans go (OTLP/HTTP JSON); undefined: tracing is off. */
  tracing: TracingSettings | undefined;
}

/** Bounds on one upstream model call (milliseconds and bytes). */
export interface UpstreamSettings {
  /** Per attempt: connect and send until the response headers (and an error status's body) arrive. */
  requestMs: number;
  /** Longest silence in a reply, including before its first chunk. */
  idleMs: number;
  /** Whole call, all attempts and the streamed reply included. */
  totalMs: number;
  maxRetries: number;
  /** Longest `retry-after` honoured; a longer one fails the call at once. */
  maxRetryAfterMs: number;
  /** Largest single SSE event, and largest whole reply, counted as the bytes arrive. */
  maxEventBytes: number;
  maxReplyBytes: number;
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
  ASSISTD_CODE_FORK_SERVER: 'code_fork_server',
  ASSISTD_RUN_LEASE_SECONDS: 'run_lease_seconds',
  ASSISTD_SHUTDOWN_GRACE_SECONDS: 'shutdown_grace_seconds',
  ASSISTD_RUN_CAPACITY: 'run_capacity',
  ASSISTD_POLL_HOLD_MS: 'poll_hold_ms',
  ASSISTD_INGEST_YIELD_MS: 'ingest_yield_ms',
  ...CODE_LIMITS_ENV,
  ...SEARCH_CACHE_ENV,
  ...SEARCH_LANGUAGE_ENV,
  ASSISTD_UPSTREAM_TIMEOUT_SECONDS: 'upstream_timeout_seconds',
  ASSISTD_UPSTREAM_IDLE_SECONDS: 'upstream_idle_seconds',
  ASSISTD_UPSTREAM_TOTAL_SECONDS: 'upstream_total_seconds',
  ASSISTD_UPSTREAM_MAX_RETRIES: 'upstream_max_retries',
  ASSISTD_UPSTREAM_MAX_RETRY_AFTER_SECONDS: 'upstream_max_retry_after_seconds',
  ASSISTD_UPSTREAM_MAX_EVENT_BYTES: 'upstream_max_event_bytes',
  ASSISTD_UPSTREAM_MAX_REPLY_BYTES: 'upstream_max_reply_bytes',
  ASSISTD_RUN_EXPIRY_SECONDS: 'run_expiry_seconds',
  ASSISTD_BLOB_SWEEP_GRACE_SECONDS: 'blob_sweep_grace_seconds',
  ASSISTD_BLOB_URL: 'blob_url',
  ASSISTD_BLOB_PATH_STYLE: 'blob_path_style',
  ASSISTD_BLOB_CACHE_MB: 'blob_cache_mb',
  ASSISTD_MAX_OPEN_STREAMS: 'max_open_streams',
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
  if (issue.code === 'unrecognized_keys') throw new ConfigError(`unknown setting ${issue.keys.map((k) => label([...issue.path, k].join('.'))).join(', ')} in ${source}; see docs/configuration.md`);
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

/**
 * Only Postgres URLs (and an explicit `sqlite:<path>`) are accepted: a mistyped URL must stop the start, not
 * quietly give each replica its own SQLite database. The value is not echoed, as it may hold a password.
 */
function checkDatabaseUrl(url: string | undefined, source: string): void {
  if (url === undefined || /^postgres(ql)?:\/\//.test(url) || url.startsWith('sqlite:')) return;
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url)?.[1];
  throw new ConfigError(`${source} must be a postgres:// or postgresql:// URL${scheme ? ` (it starts with '${scheme}:')` : ''}; unset it to use SQLite in the data directory`);
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
  checkDatabaseUrl(merged.database_url, fromFlags.database_url !== undefined ? '--database-url' : fromEnv.database_url !== undefined ? 'DATABASE_URL' : "'database_url' in the config file");
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
    codeForkServer: ![false, 'false', '0'].includes(merged.code_fork_server ?? true),
    codeLimits: codeLimits(merged),
    runLeaseSeconds: merged.run_lease_seconds ?? 30,
    shutdownGraceSeconds: merged.shutdown_grace_seconds ?? 25,
    runCapacity: merged.run_capacity ?? 512,
    searchCache: searchCache(merged),
    searchLanguage: searchLanguage(merged),
    ...embeddingConfig(fromFile.embedding, env),
    pollHoldMs: merged.poll_hold_ms ?? 1000,
    ingestYieldMs: merged.ingest_yield_ms ?? 10,
    upstream: upstreamSettings(merged),
    runExpirySeconds: merged.run_expiry_seconds ?? 600,
    blobSweepGraceSeconds: merged.blob_sweep_grace_seconds ?? 900,
    objectStorage: objectStorageConfig(merged, env),
    rateLimits: rateLimitsConfig(fromFile.rate_limits),
    maxOpenStreams: merged.max_open_streams ?? DEFAULT_MAX_OPEN_STREAMS,
    scripts: merged.scripts ?? {},
    env: { ...env },
    tracing: tracingConfig(env),
  };
}

// --- embeddings: the `embedding:` section and its ASSISTD_EMBEDDING_* variables ---

const embeddingBlockSchema = embeddingSettingsSchema
  .extend({ retry_seconds: z.coerce.number().positive().optional() })
  .refine((s) => !(s.provider || s.base_url || s.api_key || s.deployment) || (s.model && s.provider), {
    message: 'an embedding provider needs both model and provider',
  });

const EMBEDDING_ENV: Record<string, string> = {
  ASSISTD_EMBEDDING_MODEL: 'model',
  ASSISTD_EMBEDDING_DIMENSIONS: 'dimensions',
  ASSISTD_EMBEDDING_PROVIDER: 'provider',
  ASSISTD_EMBEDDING_BASE_URL: 'base_url',
  ASSISTD_EMBEDDING_API_KEY: 'api_key',
  ASSISTD_EMBEDDING_API_VERSION: 'api_version',
  ASSISTD_EMBEDDING_DEPLOYMENT: 'deployment',
  ASSISTD_EMBEDDING_RETRY_SECONDS: 'retry_seconds',
};

/** The `embedding:` section with each ASSISTD_EMBEDDING_* variable overriding its field. */
function embeddingConfig(fromFile: FileConfig['embedding'], env: NodeJS.ProcessEnv): Pick<Config, 'embedding' | 'embeddingRetrySeconds'> {
  const raw: Record<string, unknown> = { ...fromFile };
  for (const [name, key] of Object.entries(EMBEDDING_ENV)) {
    if (env[name] !== undefined && env[name] !== '') raw[key] = env[name];
  }
  const result = embeddingBlockSchema.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const key = issue.code === 'unrecognized_keys' ? issue.keys.join(', ') : issue.path.join('.');
    throw new ConfigError(`invalid setting 'embedding${key ? `.${key}` : ''}': ${issue.message}`);
  }
  const { retry_seconds, ...settings } = result.data;
  return { embedding: settings, embeddingRetrySeconds: retry_seconds ?? 30 };
}

function upstreamSettings(merged: FileConfig): UpstreamSettings {
  return {
    requestMs: (merged.upstream_timeout_seconds ?? 60) * 1000,
    idleMs: (merged.upstream_idle_seconds ?? 120) * 1000,
    totalMs: (merged.upstream_total_seconds ?? 600) * 1000,
    maxRetries: merged.upstream_max_retries ?? 2,
    maxRetryAfterMs: (merged.upstream_max_retry_after_seconds ?? 60) * 1000,
    maxEventBytes: merged.upstream_max_event_bytes ?? 16 * 1024 * 1024,
    maxReplyBytes: merged.upstream_max_reply_bytes ?? 64 * 1024 * 1024,
  };
}

// --- object storage: ASSISTD_BLOB_URL=s3://bucket/prefix and the AWS SDK's usual variables ---

/** Where the bucket is and who we are to it (src/blobs/s3-client.ts), and the local cache beside it. */
export interface ObjectStorageSettings extends S3Settings {
  /** Local copies for the sandbox and the parsers, at most this many bytes. */
  cacheBytes: number;
}

function objectStorageConfig(merged: FileConfig, env: NodeJS.ProcessEnv): ObjectStorageSettings | undefined {
  if (!merged.blob_url) return undefined;
  const [, bucket, path] = /^s3:\/\/([^/]+)\/?(.*)$/.exec(merged.blob_url)!;
  const accessKeyId = env.AWS_ACCESS_KEY_ID || undefined;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY || undefined;
  if (!accessKeyId || !secretAccessKey) throw new ConfigError('ASSISTD_BLOB_URL needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY');
  const endpoint = env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL || undefined;
  if (endpoint && !/^https?:\/\/[^/]/.test(endpoint)) throw new ConfigError('AWS_ENDPOINT_URL must be an http:// or https:// URL');
  return {
    bucket: bucket!,
    prefix: path ? `${path.replace(/\/+$/, '')}/` : '',
    region: env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-east-1',
    endpoint,
    pathStyle: merged.blob_path_style ?? false,
    accessKeyId,
    secretAccessKey,
    sessionToken: env.AWS_SESSION_TOKEN || undefined,
    cacheBytes: (merged.blob_cache_mb ?? 2048) * 1024 * 1024,
  };
}

// --- rate limits: the config file's `rate_limits:` (docs/deploy.md, "Rate limits") ---

const perMinute = z.coerce.number().int().min(1).optional();
const projectLimitsSchema = z.strictObject({ requests_per_minute: perMinute, tokens_per_minute: perMinute, concurrent_runs: perMinute });
// A key's own entry: a field left out is per_key's, null lifts per_key's limit for this key.
const keyLimitsSchema = z
  .strictObject({ requests_per_minute: perMinute.nullable(), tokens_per_minute: perMinute.nullable(), concurrent_runs: perMinute.nullable() })
  .refine((l) => Object.keys(l).length > 0, 'sets no limit: give requests_per_minute, tokens_per_minute or concurrent_runs (null lifts per_key\'s)');
const rateLimitsSchema = z.strictObject({
  /** Each API key, whatever its project: the same three limits, counted for the key alone. */
  per_key: projectLimitsSchema.optional(),
  /** Keys with limits of their own, by key id (`key_…`) or name; a field left out falls back to `per_key`. */
  keys: z.record(z.string().min(1, 'a key id or name'), keyLimitsSchema).optional(),
  /** Each project without an entry of its own in `projects`. */
  default: projectLimitsSchema.optional(),
  /** By project name; a field left out falls back to `default`. */
  projects: z.record(z.string(), projectLimitsSchema).optional(),
});

export interface ProjectLimits {
  requestsPerMinute?: number;
  tokensPerMinute?: number;
  concurrentRuns?: number;
}

export interface RateLimitSettings {
  /** The limits of each API key without an entry in `keys`; a request or run must pass both its key's and its project's. */
  key: ProjectLimits;
  /** Keys' own limits (each over `key`), by key id or name; an entry for a key's id wins over one for its name. */
  keys: ReadonlyMap<string, ProjectLimits>;
  /** The limits of one project: its own entry over the default. */
  project(name: string): ProjectLimits;
}

type LimitsEntry = { [K in keyof z.infer<typeof projectLimitsSchema>]?: number | null };

function rateLimitsConfig(raw: z.infer<typeof rateLimitsSchema> | undefined): RateLimitSettings | undefined {
  if (!raw) return undefined;
  /** `base` with `l`'s fields over it: a number sets a limit, null removes it, a field left out keeps base's. */
  const limits = (l: LimitsEntry | undefined, base: ProjectLimits = {}): ProjectLimits => {
    const merged = { ...base };
    const fields = [['requests_per_minute', 'requestsPerMinute'], ['tokens_per_minute', 'tokensPerMinute'], ['concurrent_runs', 'concurrentRuns']] as const;
    for (const [file, name] of fields) {
      if (l?.[file] === null) delete merged[name];
      else if (l?.[file]) merged[name] = l[file];
    }
    return merged;
  };
  const key = limits(raw.per_key);
  const keys = new Map(Object.entries(raw.keys ?? {}).map(([name, l]) => [name, limits(l, key)]));
  const fallback = limits(raw.default);
  const projects = new Map(Object.entries(raw.projects ?? {}).map(([name, l]) => [name, limits(l, fallback)]));
  return { key, keys, project: (name) => projects.get(name) ?? fallback };
}

// --- open streams: max_open_streams (docs/configuration.md, "Open streams") ---

/**
 * Sized from `bench:runs` (docs/deploy.md, "Sizing"): 2,000 streamed runs open at once cost about 120 MiB beyond
 * the idle process; a stream whose client stops reading holds at most 1 MiB more.
 */
const DEFAULT_MAX_OPEN_STREAMS = 2000;

// --- traces: the standard OTEL_* variables of an OTLP exporter ---

export interface TracingSettings {
  /** The full URL spans are POSTed to (`…/v1/traces`). */
  tracesUrl: string;
  /** Extra request headers for the collector (OTEL_EXPORTER_OTLP_HEADERS: `key=value,key2=value2`). */
  headers: Record<string, string>;
  serviceName: string;
}

/** On when OTEL_EXPORTER_OTLP_ENDPOINT (base URL) or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT (full URL) is set. */
function tracingConfig(env: NodeJS.ProcessEnv): TracingSettings | undefined {
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT || undefined;
  const full = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || undefined;
  if (!base && !full) return undefined;
  const tracesUrl = full ?? `${base!.replace(/\/+$/, '')}/v1/traces`;
  const name = full ? 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT' : 'OTEL_EXPORTER_OTLP_ENDPOINT';
  if (!/^https?:\/\/[^/]/.test(tracesUrl)) throw new ConfigError(`${name} must be an http:// or https:// URL`);
  const headers: Record<string, string> = {};
  for (const pair of (env.OTEL_EXPORTER_OTLP_HEADERS ?? '').split(',')) {
    const at = pair.indexOf('=');
    if (at > 0) headers[decodeURIComponent(pair.slice(0, at).trim())] = decodeURIComponent(pair.slice(at + 1).trim());
  }
  return { tracesUrl, headers, serviceName: env.OTEL_SERVICE_NAME || 'assistd' };
}
