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
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database }) });
  return createKyselyStore(db, { dialect: 'sqlite', skipLocked: false, notify: false }, sqliteTypes);
}
