#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { loadConfig, ConfigError, type FileConfig } from './config.js';
import { createStore } from './store/create-store.js';
import { createLogger } from './lib/logger.js';
import { hashKey, keyHint, newKeySecret } from './lib/api-keys.js';
import { ID_PREFIX, newId, nowSeconds } from './domain/ids.js';
import { providersConfig, startServer, startWorker } from './server.js';
import { createStoredScriptSource } from './engine/stored-script-source.js';
import { createChunkEmbedder } from './ingest/chunk-embedder.js';
import { createEmbeddingBackfill } from './ingest/embedding-backfill.js';
import { createModelRegistry } from './providers/registry.js';
import { exportCommand, importCommand } from './portability/portability-command.js';

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

Options (override the environment and the config file):
  --host <addr>             Address to bind (HOST). Without any API key the server binds to 127.0.0.1 only.
  --port <n>                Port (PORT, default 8080).
  --data-dir <dir>          Data directory for SQLite and files (ASSISTD_DATA_DIR, default ./data).
  --database-url <url>      postgres://… to use Postgres (DATABASE_URL); unset means SQLite in the data dir.
  --log-level <level>       fatal|error|warn|info|debug|trace|silent (LOG_LEVEL, default info).
  --config <file>           Config file (ASSISTD_CONFIG, default ./assistd.yaml when present).
  -h, --help                Show this help.

Environment: ASSISTD_API_KEY sets a key for the "default" project. See docs/configuration.md for the rest.
`;

/** SIGINT or SIGTERM closes gracefully, then exits; a second signal kills at once (the listener is gone). */
function closeOnSignal(running: { close(): Promise<void> }): void {
  const stop = async () => {
    await running.close();
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
  const store = createStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  try {
    await store.migrate();
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
    },
  });
  if (values.config) env = { ...env, ASSISTD_CONFIG: values.config };
  const [command, ...rest] = positionals;
  if (values.help || !command || command === 'help') {
    console.log(HELP);
    return;
  }
  if (command === 'serve') {
    const config = loadConfig(flagsToConfig(values), env);
    const logger = createLogger(config.logLevel);
    const server = await startServer(config, logger);
    logger.info({ url: server.url, database: server.store.capabilities.dialect }, 'assistd is listening');
    closeOnSignal(server);
  } else if (command === 'worker') {
    const config = loadConfig(flagsToConfig(values), env);
    const logger = createLogger(config.logLevel);
    const worker = await startWorker(config, logger);
    logger.info('assistd worker is running');
    closeOnSignal(worker);
  } else if (command === 'migrate') {
    const config = loadConfig(flagsToConfig(values), env);
    const store = createStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
    await store.migrate();
    await store.close();
    console.log('migrations applied');
  } else if (command === 'keys') {
    await keys(rest, values, env);
  } else if (command === 'import' || command === 'export') {
    if (rest.length !== 1) throw new ConfigError(`usage: assistd ${command} DIR [--project P]`);
    const run = command === 'import' ? importCommand : exportCommand;
    process.exitCode = await run(loadConfig(flagsToConfig(values), env), rest[0]!, String(values.project ?? 'default'));
  } else if (command === 'reembed') {
    await reembed(values, env);
  } else {
    throw new ConfigError(`unknown command '${command}'; see assistd --help`);
  }
}

main(process.argv.slice(2), process.env).catch((err) => {
  console.error(err instanceof ConfigError ? `assistd: ${err.message}` : err);
  process.exit(1);
});
