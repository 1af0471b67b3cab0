import { join } from 'node:path';
import { createPostgresStore } from './postgres-store.js';
import { createSqliteStore } from './sqlite-store.js';
import type { SearchLanguage } from './search-language.js';
import type { Store } from './store.js';

/** `postgres://` (or `postgresql://`) selects Postgres; otherwise SQLite in the data directory. */
export function createStore(options: { databaseUrl?: string; dataDir: string; searchLanguage?: SearchLanguage }): Store {
  const url = options.databaseUrl;
  const searchLanguage = options.searchLanguage ?? 'english';
  if (url && /^postgres(ql)?:\/\//.test(url)) return createPostgresStore({ url, searchLanguage });
  if (url && url.startsWith('sqlite:')) return createSqliteStore({ path: url.slice('sqlite:'.length), searchLanguage });
  return createSqliteStore({ path: join(options.dataDir, 'assistd.sqlite'), searchLanguage });
}
