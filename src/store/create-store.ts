import { join } from 'node:path';
import { createPostgresStore } from './postgres-store.js';
import { createSqliteStore } from './sqlite-store.js';
import type { Store } from './store.js';

/** `postgres://` (or `postgresql://`) selects Postgres; otherwise SQLite in the data directory. */
export function createStore(options: { databaseUrl?: string; dataDir: string }): Store {
  const url = options.databaseUrl;
  if (url && /^postgres(ql)?:\/\//.test(url)) return createPostgresStore({ url });
  if (url && url.startsWith('sqlite:')) return createSqliteStore({ path: url.slice('sqlite:'.length) });
  return createSqliteStore({ path: join(options.dataDir, 'assistd.sqlite') });
}
