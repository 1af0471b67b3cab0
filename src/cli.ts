#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { loadConfig, ConfigError, type Config, type FileConfig } from './config.js';
import type { Logger } from 'pino';
import { createLogger } from './lib/logger.js';
import { hashKey, keyHint, newKeySecret } from './lib/api-keys.js';
import { ID_PREFIX, newId, nowSeconds } from './domain/ids.js';
import { explainArgsError } from './ops/startup-errors.js';
import { assistdVersion } from './ops/version.js';
// The server and the store are imported where a command needs them: --version, --help and a bad flag or setting
// answer without loading them.

const HELP = `assistd — the OpenAI Assistants API, self-hosted

Usage: assistd <command> [options]

Commands:
  serve                     Run the API server and run workers (default: http://127.0.0.1:8080, SQLite in ./data).
  worker                    Execute runs and ingest files for the servers sharing its Postgres database; no HTTP.
  migrate                   Apply database migrations and exit (the server also applies them at start).
  keys create [--project P] [--name N]
                            Create an API key for a project (default project: "default"); prints the secret once.
  keys list                 List keys (never the secrets).
  keys revoke <key_id>      Revoke a key; requests with it fail within seconds.
  import DIR [--project P]  Import an export (of the hosted Assistants API, or of assistd), keeping ids; see docs/migrating.md.
  export DIR [--project P]  Write a project's objects and file bytes to DIR, in the layout \`import\` reads.
  reembed                   Give file_search chunks vectors from the configured embedding model: those indexed
                            while it was unreachable, and those of a previous model. The server also does this
                            in the background; this runs it now and says how it went.
  backup <dest>             Copy the SQLite database and files to a new directory, while the server runs.
  restore <src>             Put a backup into the data directory (--data-dir), which must have no database yet.
  doctor [model…]           Check the database, the code sandbox, and call each configured model (and the ones
                            named) and the embedding model; prints what works and what to fix.

Options (override the environment and the config file):
  --host <addr>             Address to bind (HOST). Without any API key the server binds to 127.0.0.1 only.
  --port <n>                Port (PORT, default 8080).
  --data-dir <dir>          Data directory for SQLite and files (ASSISTD_DATA_DIR, default ./data).
  --database-url <url>      postgres://… to use Postgres (DATABASE_URL); unset means SQLite in the data dir.
  --log-level <level>       fatal|error|warn|info|debug|trace|silent (LOG_LEVEL, default info).
  --config <file>           Config file (ASSISTD_CONFIG, default ./assistd.yaml when present).
  -v, --version             Print the version.
  -h, --help                Show this help.

Environment: ASSISTD_API_KEY sets a key for the "default" project. See docs/configuration.md for the rest.
`;

/** SIGINT or SIGTERM closes gracefully, then exits; a second signal kills at once (the listener is gone). */
function closeOnSignal(running: { close(): Promise<void> }, logger: Logger, graceSeconds: number): void {
  const stop = async (signal: string) => {
    const started = Date.now();
    logger.info({ signal, graceSeconds }, `stopping: no new runs; runs in flight get up to ${graceSeconds}s to finish`);
    await running.close();
    logger.info({ ms: Date.now() - started }, 'stopped');
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

function flagsToConfig(values: Record<string, string | boolean | undefined>): Partial<FileConfig> {
  const flags: Record<string, unknown> = {};
  if (values.host) flags.host = values.host;
  if (values.port) flags.port = values.port;
  if (values['data-dir']) flags.data_dir = values['data-dir'];
  if (values['database-url']) flags.database_url = values['database-url'];
  if (values['log-level']) flags.log_level = values['log-level'];
  return flags as Partial<FileConfig>;
}

async function keys(args: string[], values: Record<string, string | boolean | undefined>, env: NodeJS.ProcessEnv) {
  const config = loadConfig(flagsToConfig(values), env);
  const { openStore } = await import('./ops/open-store.js');
  const store = await openStore(config);
  try {
    const [action, id] = args;
    if (action === 'create') {
      const secret = newKeySecret();
      const key = { id: newId(ID_PREFIX.key), project: String(values.project ?? 'default'), name: String(values.name ?? ''), hint: keyHint(secret), created_at: nowSeconds(), revoked_at: null };
      await store.keys.insert({ ...key, hash: hashKey(secret) });
      console.log(JSON.stringify({ ...key, secret }, null, 2));
    } else if (action === 'list') {
      for (const key of await store.keys.list()) console.log(JSON.stringify(key));
    } else if (action === 'revoke' && id) {
      if (!(await store.keys.revoke(id, nowSeconds()))) throw new ConfigError(`no active key with id ${id}`);
      console.log(`revoked ${id}`);
    } else {
      throw new ConfigError('usage: assistd keys create|list|revoke <key_id>');
    }
  } finally {
    await store.close();
  }
}

/** `assistd reembed`: one backfill pass with the configured embedding model; fails when the model does. */
async function reembed(values: Record<string, string | boolean | undefined>, env: NodeJS.ProcessEnv) {
  const config = loadConfig(flagsToConfig(values), env);
  const { providersConfig } = await import('./server.js');
  const { createStore } = await import('./store/create-store.js');
  const { createStoredScriptSource } = await import('./engine/stored-script-source.js');
  const { createChunkEmbedder } = await import('./ingest/chunk-embedder.js');
  const { createEmbeddingBackfill } = await import('./ingest/embedding-backfill.js');
  const { createModelRegistry } = await import('./providers/registry.js');
  const store = createStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  try {
    await store.migrate();
    const model = createModelRegistry(providersConfig(config), { scriptSource: createStoredScriptSource(store) }).embeddingModel();
    if (!model) throw new ConfigError('no embedding model is configured: set embedding.model in the config file or ASSISTD_EMBEDDING_MODEL (see docs/configuration.md)');
    const retryMs = config.embeddingRetrySeconds * 1000;
    const embedder = createChunkEmbedder({ model, retryMs });
    const backfill = createEmbeddingBackfill({ store, embedder, retryMs });
    const result = await backfill.run();
    await backfill.close();
    console.log(`${result.chunks} chunks given vectors by ${model.key}; ${result.stores} vector stores now wholly embedded by it`);
    if (result.error) throw new ConfigError(`the embedding model ${model.name} failed: ${result.error instanceof Error ? result.error.message : String(result.error)}`);
  } finally {
    await store.close();
  }
}

async function backupOrRestore(command: 'backup' | 'restore', path: string | undefined, config: Config): Promise<void> {
  if (!path) throw new ConfigError(`usage: assistd ${command} <${command === 'backup' ? 'dest' : 'src'}> [--data-dir <dir>]`);
  const { backupSqlite, restoreSqlite } = await import('./ops/backup.js');
  const started = Date.now();
  const { databaseBytes, files } = command === 'backup' ? await backupSqlite(config, resolve(path)) : restoreSqlite(config, resolve(path));
  const what = `the database (${(databaseBytes / 1e6).toFixed(1)} MB) and ${files} file(s)`;
  console.log(command === 'backup' ? `backed up ${what} to ${resolve(path)} in ${Date.now() - started} ms` : `restored ${what} into ${config.dataDir}`);
}

async function doctor(config: Config, models: string[]): Promise<void> {
  const { runDoctor } = await import('./ops/doctor.js');
  const checks = await runDoctor(config, models);
  const width = Math.max(...checks.map((c) => c.name.length));
  for (const check of checks) console.log(`${check.ok ? 'ok  ' : 'FAIL'}  ${check.name.padEnd(width)}  ${check.detail}`);
  if (checks.some((c) => !c.ok)) process.exitCode = 1;
}

async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      host: { type: 'string' },
      port: { type: 'string' },
      'data-dir': { type: 'string' },
      'database-url': { type: 'string' },
      'log-level': { type: 'string' },
      config: { type: 'string' },
      project: { type: 'string' },
      name: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean', short: 'v' },
    },
  });
  if (values.version) {
    console.log(`assistd ${assistdVersion()}`);
    return;
  }
  if (values.config) env = { ...env, ASSISTD_CONFIG: values.config };
  const [command, ...rest] = positionals;
  if (values.help || !command || command === 'help') {
    console.log(HELP);
    return;
  }
  if (command === 'serve') {
    const config = loadConfig(flagsToConfig(values), env);
    const logger = createLogger(config.logLevel);
    const { startServer } = await import('./server.js');
    const server = await startServer(config, logger);
    logger.info(server.banner, `assistd ${server.banner.version} is listening on ${server.url}`);
    closeOnSignal(server, logger, config.shutdownGraceSeconds);
  } else if (command === 'worker') {
    const config = loadConfig(flagsToConfig(values), env);
    const logger = createLogger(config.logLevel);
    const { startWorker } = await import('./server.js');
    const worker = await startWorker(config, logger);
    logger.info(worker.banner, `assistd worker is running (version ${worker.banner.version})`);
    closeOnSignal(worker, logger, config.shutdownGraceSeconds);
  } else if (command === 'migrate') {
    const config = loadConfig(flagsToConfig(values), env);
    const { openStore } = await import('./ops/open-store.js');
    const store = await openStore(config);
    await store.close();
    console.log('migrations applied');
  } else if (command === 'keys') {
    await keys(rest, values, env);
  } else if (command === 'import' || command === 'export') {
    if (rest.length !== 1) throw new ConfigError(`usage: assistd ${command} DIR [--project P]`);
    const { exportCommand, importCommand } = await import('./portability/portability-command.js');
    const run = command === 'import' ? importCommand : exportCommand;
    process.exitCode = await run(loadConfig(flagsToConfig(values), env), rest[0]!, String(values.project ?? 'default'));
  } else if (command === 'reembed') {
    await reembed(values, env);
  } else if (command === 'doctor') {
    await doctor(loadConfig(flagsToConfig(values), env), rest);
  } else if (command === 'backup' || command === 'restore') {
    await backupOrRestore(command, rest[0], loadConfig(flagsToConfig(values), env));
  } else {
    throw new ConfigError(`unknown command '${command}'; see assistd --help`);
  }
}

/** A start-up failure is one line saying what to fix; the stack only when asked for with LOG_LEVEL=debug. */
function reportFailure(failure: unknown, argv: string[], env: NodeJS.ProcessEnv): void {
  const err = explainArgsError(failure);
  const flag = argv.indexOf('--log-level');
  const level = (flag >= 0 ? argv[flag + 1] : undefined) ?? env.LOG_LEVEL;
  const message = err instanceof Error ? err.message : String(err);
  console.error(err instanceof ConfigError ? `assistd: ${message}` : `assistd: ${message} (LOG_LEVEL=debug shows the stack)`);
  if (level === 'debug' || level === 'trace') {
    for (let e: unknown = err; e instanceof Error; e = e.cause) console.error(e.stack);
  }
}

main(process.argv.slice(2), process.env).catch((err) => {
  reportFailure(err, process.argv.slice(2), process.env);
  process.exit(1);
});
