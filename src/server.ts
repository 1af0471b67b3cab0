import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { ZodError } from 'zod';
import { buildApp, type ReadinessCheck } from './app.js';
import type { BlobStore } from './blobs/blob-store.js';
import { createBlobStore } from './blobs/create-blob-store.js';
import type { AppDeps } from './app-deps.js';
import { type CodeLimits, ConfigError, type Config } from './config.js';
import { RunEventLog } from './engine/events/run-events.js';
import { createResponseWorker } from './engine/worker/response-worker.js';
import { createRunWorker } from './engine/worker/run-worker.js';
import { createWorkPool } from './engine/worker/work-pool.js';
import { createSessionAffinity } from './engine/worker/session-affinity.js';
import { newId } from './domain/ids.js';
import { responseEngineDeps } from './http/responses/response-deps.js';
import { createRunLifecycleLog } from './engine/runs/run-lifecycle-log.js';
import { ContainerService } from './tools/containers/container-service.js';
import { createStoredScriptSource } from './engine/stored-script-source.js';
import { createVectorStoreIngestion } from './ingest/vector-store-ingestion.js';
import { modelRoutesSchema, providersConfigFromEnv, type ProvidersConfig } from './providers/providers-config.js';
import { createModelRegistry } from './providers/registry.js';
import { defaultRetryPolicy } from './providers/retry.js';
import { parseScript, type Script } from './providers/script.js';
import { createSandbox, type Sandbox, type SandboxOptions } from './sandbox/sandbox.js';
import { createSearchIndex } from './search/create-search-index.js';
import type { Store } from './store/store.js';
import type { BuiltinTools } from './tools/builtin-tool.js';
import { createCodeInterpreterTool } from './tools/code-interpreter.js';
import { createFileSearchTool, fileSearchOptions } from './tools/file-search.js';
import { openStore } from './ops/open-store.js';
import { explainListenError } from './ops/startup-errors.js';
import { missingModelVariables, startupBanner } from './ops/banner.js';
import { assistdVersion } from './ops/version.js';
import { createEngineMetrics } from './ops/engine-metrics.js';
import { createRateLimiter } from './ops/rate-limiter.js';
import { unmatchedKeyEntries } from './ops/key-limits.js';
import { registerRuntimeMetrics } from './ops/runtime-metrics.js';
import type { Tracing } from './ops/tracing/tracing.js';
import { Registry } from 'prom-client';

export interface RunningServer {
  app: FastifyInstance;
  store: Store;
  url: string;
  /** What the start-up banner says: version, URL, database, providers, sandbox, auth. */
  banner: Record<string, string>;
  close(): Promise<void>;
}

/** Test hooks: a clock (unix ms) for run leases and expiry. */
export interface ServerOptions {
  clock?: () => number;
}

/** Everything but HTTP: the store, models, tools, run workers and file ingestion, as `serve` and `worker` share them. */
interface Runtime {
  deps: AppDeps;
  sandbox: Sandbox;
  /** The engine's Prometheus series, and the HTTP ones once the app is built. */
  metricsRegistry: Registry;
  tracing: Tracing | undefined;
  /** The banner for this runtime, given the URL it listens on (if any) and the number of active keys. */
  banner(url: string | undefined, activeKeys: number): Record<string, string>;
  /** Lets the runs in flight finish within the grace period, then stops everything; `beforeStore` runs last. */
  close(beforeStore?: () => Promise<void>): Promise<void>;
}

/** Rebuilds file_search's lexical index when `search_language` changed since it was built, saying so. */
async function syncSearchLanguage(store: Store, logger?: Logger): Promise<void> {
  const started = Date.now();
  const log = logger?.child({ room: 'search' });
  const to = store.chunks.language;
  const from = await store.chunks.syncLanguage((from) => log?.info({ from, to }, `file_search's lexical index was built for search_language ${from}: rebuilding it for ${to}`));
  if (from) log?.info({ from, to, ms: Date.now() - started }, `file_search's lexical index rebuilt for search_language ${to}`);
}

async function startRuntime(config: Config, logger?: Logger, options: ServerOptions = {}): Promise<Runtime> {
  const scripts = serverWideScripts(config);
  const store = await openStore(config);
  await syncSearchLanguage(store, logger);
  const blobs = createBlobStore(config);
  sweepBlobs(blobs, store, config.blobSweepGraceSeconds * 1000, logger);
  const providers = providersConfig(config);
  for (const { entry, missing } of missingModelVariables(providers)) {
    logger?.warn({ entry, missing }, `the models: entry "${entry}" uses \${${missing.join('}, ${')}} but ${missing.join(', ')} is not set: runs with it will fail until it is`);
  }
  const metricsRegistry = new Registry();
  const metrics = createEngineMetrics(metricsRegistry);
  // Loaded only when configured: a server without tracing runs none of its code.
  const tracing = config.tracing ? (await import('./ops/tracing/tracing.js')).createTracing(config.tracing, assistdVersion(), logger?.child({ room: 'tracing' })) : undefined;
  let models = metrics.instrumentModels(createModelRegistry(providers, { scriptSource: createStoredScriptSource(store, scripts) }));
  if (tracing) models = tracing.instrumentModels(models);
  const rateLimiter = config.rateLimits ? createRateLimiter(store, config.rateLimits) : undefined;
  if (rateLimiter) models = rateLimiter.instrumentModels(models);
  for (const entry of config.rateLimits?.keys.size ? unmatchedKeyEntries(config.rateLimits, await store.keys.list()) : []) {
    logger?.warn({ entry }, `rate_limits.keys has an entry "${entry}" but no key has that id or name: per_key applies until a key does`);
  }
  const sandbox = createCodeSandbox(config, logger);
  const worker = newId('worker_');
  // Replicas sharing a database send a thread's runs to the one holding its code session.
  const sessions = store.notifications ? createSessionAffinity(store, { owner: worker, leaseMs: config.runLeaseSeconds * 1000, idleMs: config.codeSessionIdleSeconds * 1000 }) : undefined;
  await sessions?.start();
  if (sessions) sandbox.onSessionEnd((sessionKey) => void sessions.ended(sessionKey).catch(() => undefined));
  const containers = new ContainerService({ store, blobs, sandbox, clock: options.clock ?? Date.now, maxFileBytes: config.maxFileBytes });
  const idleMinutes = Math.max(1, Math.ceil(config.codeSessionIdleSeconds / 60));
  let tools: BuiltinTools = {
    code_interpreter: createCodeInterpreterTool({ sandbox, containers, idleMinutes, callTimeoutMs: config.codeTimeoutSeconds * 1000, ...(sessions ? { sessions } : {}) }),
  };
  const searchIndex = createSearchIndex(store, config.searchCache);
  const ingestion = createVectorStoreIngestion({
    store,
    blobs,
    index: searchIndex,
    embeddings: models.embeddingModel(),
    embeddingRetryMs: config.embeddingRetrySeconds * 1000,
    yieldMs: config.ingestYieldMs,
    logger: logger?.child({ room: 'ingest' }),
    ...(options.clock ? { clock: options.clock } : {}),
  });
  tools.file_search = createFileSearchTool(fileSearchOptions(searchIndex, ingestion));
  registerRuntimeMetrics(metricsRegistry, { store, sandbox, ingestion });
  const runLog = logger ? createRunLifecycleLog(logger.child({ room: 'runs' })) : undefined;
  const events = new RunEventLog(store, (project, run, created) => {
    runLog?.(project, run, created);
    metrics.observeRun(project, run, created);
    tracing?.observeRun(project, run, created);
  });
  tools = metrics.instrumentTools(tools);
  if (tracing) tools = tracing.instrumentTools(tools);
  const engineLog = logger?.child({ room: 'engine' });
  // Runs and background responses share one capacity and one lease heartbeat.
  const pool = createWorkPool({
    owner: worker,
    leaseMs: config.runLeaseSeconds * 1000,
    capacity: config.runCapacity,
    ...(engineLog ? { logger: engineLog } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
    ...(store.notifications ? { notifications: store.notifications } : {}),
  });
  const runs = createRunWorker({ store, blobs, models, tools, events }, pool, {
    ...(sessions ? { sessions } : {}),
    ...(engineLog ? { logger: engineLog } : {}),
    ...(tracing ? { around: tracing.aroundRun } : {}),
  });
  const engineDeps = { config, store, blobs, models, runs, tools, events, searchIndex, ingestion, containers };
  const responsesLog = logger?.child({ room: 'responses' });
  const backgroundResponses = createResponseWorker({ ...responseEngineDeps(engineDeps, responsesLog), events }, pool, {
    ...(responsesLog ? { logger: responsesLog } : {}),
  });
  await events.start();
  await pool.start();
  return {
    deps: { ...engineDeps, backgroundResponses, ...(rateLimiter ? { rateLimiter } : {}) },
    sandbox,
    metricsRegistry,
    tracing,
    banner: (url, activeKeys) => startupBanner({ version: assistdVersion(), config, providers, embedding: models.embeddingModel(), sandbox: config.runCapacity > 0 ? sandbox.status() : undefined, activeKeys, ...(url ? { url } : {}) }),
    async close(beforeStore) {
      // Runs in flight get the grace period to finish; then the rest are failed and their streams end.
      await pool.drain(config.shutdownGraceSeconds * 1000);
      await pool.close();
      await events.close();
      await sessions?.close();
      await beforeStore?.();
      await ingestion.close();
      await sandbox.close();
      await store.close();
      await tracing?.close();
    },
  };
}

/**
 * A process killed mid-upload leaves half-written blobs, and one killed between writing a blob and its file row
 * leaves bytes nothing refers to. Swept in the background at start; the grace period spares uploads in flight.
 */
function sweepBlobs(blobs: BlobStore, store: Store, graceMs: number, logger?: Logger): void {
  const log = logger?.child({ room: 'blobs' });
  void blobs.sweep((keys) => store.knownFileIds(keys), graceMs).then(
    ({ removed }) => removed > 0 && log?.info({ removed }, 'removed leftover blobs'),
    (err: unknown) => log?.warn({ err }, 'sweeping leftover blobs failed'),
  );
}

/** Opens the database, applies migrations, builds the app and listens. Used by `assistd serve` and the tests. */
export async function startServer(config: Config, logger?: Logger, options: ServerOptions = {}): Promise<RunningServer> {
  const runtime = await startRuntime(config, logger, options);
  const { store } = runtime.deps;
  const readinessChecks = [sandboxReadiness(runtime.sandbox)];
  const app = await buildApp(runtime.deps, { logger: logger?.child({ room: 'http' }), readinessChecks, metricsRegistry: runtime.metricsRegistry, ...(runtime.tracing ? { tracing: runtime.tracing } : {}) });
  const activeKeys = await store.keys.countActive();
  const keyless = !config.apiKey && activeKeys === 0;
  let host = config.host;
  if (keyless && !['127.0.0.1', 'localhost', '::1'].includes(host)) {
    logger?.warn({ requestedHost: host }, 'no API key is configured: binding to 127.0.0.1 only (set ASSISTD_API_KEY or run `assistd keys create`)');
    host = '127.0.0.1';
  } else if (keyless) {
    logger?.warn('no API key is configured: the API is open to anyone who can reach 127.0.0.1');
  }
  await app.listen({ host, port: config.port }).catch(async (err: unknown) => {
    await runtime.close();
    throw explainListenError(err, host, config.port);
  });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  return {
    app,
    store,
    url,
    banner: runtime.banner(url, activeKeys),
    close: () => runtime.close(() => closeApp(app)),
  };
}

/**
 * `assistd worker`: executes runs and ingests files for replicas that share its database, with no HTTP port of
 * its own. Only useful on Postgres, next to `serve` replicas (often API-only ones, ASSISTD_RUN_CAPACITY=0).
 */
export async function startWorker(config: Config, logger?: Logger): Promise<{ banner: Record<string, string>; close(): Promise<void> }> {
  if (config.runCapacity === 0) throw new ConfigError('a worker with ASSISTD_RUN_CAPACITY=0 would execute nothing; unset it or give it a positive value');
  const runtime = await startRuntime(config, logger);
  return { banner: runtime.banner(undefined, 0), close: () => runtime.close() };
}

/** Streams of runs other replicas execute may outlast the stop: after a few seconds they are cut. */
const STREAM_CLOSE_MS = 5000;

async function closeApp(app: FastifyInstance): Promise<void> {
  const cut = setTimeout(() => app.server.closeAllConnections(), STREAM_CLOSE_MS);
  await app.close();
  clearTimeout(cut);
}

/** The config file's `scripts:`, each in any form the scripts API takes; a bad one stops the start, named. */
function serverWideScripts(config: Config): Record<string, Script> {
  const out: Record<string, Script> = {};
  for (const [name, value] of Object.entries(config.scripts)) {
    try {
      out[name] = parseScript(value);
    } catch (err) {
      const issue = err instanceof ZodError ? err.issues[0] : undefined;
      throw new ConfigError(`invalid script '${name}' in scripts: of the config file${issue ? ` at ${issue.path.join('.') || '(root)'}: ${issue.message}` : ''}`);
    }
  }
  return out;
}

/** The model registry's settings: the config file's `models:` routes, the provider environment and the upstream bounds. */
export function providersConfig(config: Config): ProvidersConfig {
  const { requestMs, idleMs, totalMs, maxRetries, maxRetryAfterMs, maxEventBytes, maxReplyBytes } = config.upstream;
  return {
    models: modelRoutesSchema.parse(config.models),
    ...providersConfigFromEnv(config.env),
    timeouts: { requestMs, idleMs, totalMs },
    retry: { ...defaultRetryPolicy, maxRetries, maxRetryAfterMs },
    limits: { maxEventBytes, maxReplyBytes },
    embedding: config.embedding,
  };
}

/**
 * The Python sandbox behind code_interpreter, one session per thread. Warming up (building the runtime, starting
 * the pool) happens in the background so the server listens at once; a host that cannot run it still serves
 * everything else, and /readyz and runs that need code_interpreter say what to install. A process that executes
 * no runs (ASSISTD_RUN_CAPACITY=0) keeps no warm workers: nothing would ever use them.
 */
function createCodeSandbox(config: Config, logger?: Logger): Sandbox {
  const sandbox = createSandbox({
    callTimeoutMs: config.codeTimeoutSeconds * 1000,
    sessionTtlMs: config.codeSessionTtlSeconds * 1000,
    idleTtlMs: config.codeSessionIdleSeconds * 1000,
    poolSize: config.runCapacity > 0 ? config.codePoolSize : 0,
    zygote: config.codeForkServer,
    ...sandboxLimits(config.codeLimits),
  });
  if (config.runCapacity === 0) return sandbox;
  const log = logger?.child({ room: 'sandbox' });
  void sandbox.warmUp().then((status) => {
    if (status.available) log?.info('code sandbox ready');
    else log?.warn({ reason: status.reason }, 'code_interpreter is unavailable: runs that use it will fail');
  });
  return sandbox;
}

/** The configured limits of each code session, in the sandbox's units. */
function sandboxLimits(limits: CodeLimits): Partial<SandboxOptions> {
  const MIB = 1024 ** 2;
  return {
    memoryBytes: limits.memoryMb * MIB,
    cpus: limits.cpus,
    diskBytes: limits.diskMb * MIB,
    maxSessions: limits.maxSessions,
    maxFilesPerCall: limits.outputFilesPerCall,
    maxOutputBytesPerCall: Math.round(limits.outputMbPerCall * MIB),
    maxFilesPerSession: limits.outputFilesPerSession,
    maxOutputBytesPerSession: Math.round(limits.outputMbPerSession * MIB),
  };
}

/** Reported by /readyz without making the server unready: everything but code_interpreter still works. */
function sandboxReadiness(sandbox: Sandbox): ReadinessCheck {
  return async () => {
    const status = sandbox.status();
    const detail = status.reason ?? status.limits;
    return { name: 'sandbox', ok: status.available, ...(detail ? { detail } : {}) };
  };
}
