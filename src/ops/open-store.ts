import { join } from 'node:path';
import type { Config } from '../config.js';
import { createStore } from '../store/create-store.js';
import type { Store } from '../store/store.js';
import { createPrivateFile, prepareDataDir } from './data-dir.js';
import { explainDatabaseError } from './startup-errors.js';

/**
 * Prepares the data directory (files live there on Postgres too), opens the database and applies migrations;
 * a failure is one line naming what to fix.
 */
export async function openStore(config: Config): Promise<Store> {
  prepareDataDir(config.dataDir);
  if (!config.databaseUrl) createPrivateFile(join(config.dataDir, 'assistd.sqlite'));
  let store: Store | undefined;
  try {
    store = createStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, searchLanguage: config.searchLanguage });
    await store.migrate();
    return store;
  } catch (err) {
    await store?.close().catch(() => {});
    throw explainDatabaseError(err, config.databaseUrl, config.dataDir);
  }
}
