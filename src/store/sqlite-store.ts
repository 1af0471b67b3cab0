import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { createKyselyStore } from './kysely-store.js';
import { sqliteTypes } from './migrations.js';
import type { Database } from './schema.js';
import type { Store } from './store.js';

/** SQLite in WAL mode: one file, safe for the CLI and the server to open at once. */
export function createSqliteStore(options: { path: string }): Store {
  if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true });
  const database = new BetterSqlite3(options.path);
  database.pragma('journal_mode = WAL');
  // NORMAL keeps WAL durable across process crashes; only an OS crash can lose the last transactions.
  database.pragma('synchronous = NORMAL');
  database.pragma('busy_timeout = 5000');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(database) }) });
  return createKyselyStore(db, { dialect: 'sqlite', skipLocked: false, notify: false }, sqliteTypes);
}

/**
 * Kysely prepares every query anew; preparing costs more than running a small indexed query, so statements are
 * cached by their SQL text (the set of distinct statements is small and fixed by the code).
 */
function withStatementCache(database: BetterSqlite3.Database): BetterSqlite3.Database {
  const cache = new Map<string, BetterSqlite3.Statement>();
  const prepare = database.prepare.bind(database);
  database.prepare = ((source: string) => {
    let statement = cache.get(source);
    if (!statement) {
      statement = prepare(source);
      if (cache.size > 1000) cache.clear();
      cache.set(source, statement);
    }
    return statement;
  }) as typeof database.prepare;
  return database;
}
