import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { buildApp } from './app.js';
import { createLocalBlobStore } from './blobs/local-blob-store.js';
import type { Config } from './config.js';
import { createRunWorker } from './engine/run-worker.js';
import { modelRoutesSchema, providersConfigFromEnv, type ProvidersConfig } from './providers/providers-config.js';
import { createModelRegistry } from './providers/registry.js';
import { createInMemoryScriptSource } from './providers/script.js';
import { createStore } from './store/create-store.js';
import type { Store } from './store/store.js';
import type { BuiltinTools } from './tools/builtin-tool.js';

export interface RunningServer {
  app: FastifyInstance;
  store: Store;
  url: string;
  close(): Promise<void>;
}

/** Opens the database, applies migrations, builds the app and listens. Used by `assistd serve` and the tests. */
export async function startServer(config: Config, logger?: Logger): Promise<RunningServer> {
  const store = createStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  await store.migrate();
  const blobs = createLocalBlobStore(join(config.dataDir, 'files'));
  const models = createModelRegistry(providersConfig(config), { scriptSource: createInMemoryScriptSource() });
  const tools: BuiltinTools = {};
  const runs = createRunWorker({ store, blobs, models, tools }, logger?.child({ room: 'engine' }));
  const app = await buildApp({ config, store, blobs, models, runs, tools }, { logger: logger?.child({ room: 'http' }, { level: 'warn' }) });
  const keyless = !config.apiKey && (await store.keys.countActive()) === 0;
  let host = config.host;
  if (keyless && !['127.0.0.1', 'localhost', '::1'].includes(host)) {
    logger?.warn({ requestedHost: host }, 'no API key is configured: binding to 127.0.0.1 only (set ASSISTD_API_KEY or run `assistd keys create`)');
    host = '127.0.0.1';
  } else if (keyless) {
    logger?.warn('no API key is configured: the API is open to anyone who can reach 127.0.0.1');
  }
  await app.listen({ host, port: config.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  return {
    app,
    store,
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    async close() {
      await app.close();
      await runs.close();
      await store.close();
    },
  };
}

/** The model registry's settings: the config file's `models:` routes and the provider environment. */
export function providersConfig(config: Config): ProvidersConfig {
  return { models: modelRoutesSchema.parse(config.models), ...providersConfigFromEnv(config.env) };
}
