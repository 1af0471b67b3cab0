import { Kysely } from 'kysely';
import pg from 'pg';
import { createKyselyStore } from './kysely-store.js';
import { postgresTypes } from './migrations.js';
import { PipeliningPostgresDialect } from './postgres-pipelining.js';
import { createPgNotifications } from './pg-notifications.js';
import type { Database } from './schema.js';
import type { SearchLanguage } from './search-language.js';
import type { Store } from './store.js';

// bigint columns hold unix seconds, which fit a JS number exactly.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));

/** Postgres through a connection pool; the same repositories as SQLite. */
export function createPostgresStore(options: { url: string; poolSize?: number; searchLanguage?: SearchLanguage }): Store {
  const pool = new pg.Pool({ connectionString: options.url, max: options.poolSize ?? 10, pipeline: true });
  // An idle client that loses its connection emits 'error' on the pool; without a listener that kills the process.
  pool.on('error', () => {});
  const dialect = new PipeliningPostgresDialect(pool);
  const db = new Kysely<Database>({ dialect });
  const notifications = createPgNotifications(pool, options.url);
  const store = createKyselyStore(db, { dialect: 'postgres', skipLocked: true, notify: true }, { ...postgresTypes, searchLanguage: options.searchLanguage ?? 'english' }, db, notifications, dialect.directTransactions(db));
  return {
    ...store,
    async close() {
      await notifications.close();
      await store.close();
    },
  };
}
