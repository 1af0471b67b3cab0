import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely } from 'kysely';
import { InlineLimitPlugin } from './inline-limit-plugin.js';
import { createKyselyStore } from './kysely-store.js';
import { sqliteTypes } from './migrations.js';
import type { Database } from './schema.js';
import type { SearchLanguage } from './search-language.js';
import { startCheckpointer, WRITER_AUTOCHECKPOINT_PAGES } from './sqlite-checkpointer.js';
import { SqliteGroupCommitDialect } from './sqlite-group-commit.js';
import type { Store } from './store.js';

/** SQLite in WAL mode: one file, safe for the CLI and the server to open at once. */
export function createSqliteStore(options: { path: string; searchLanguage?: SearchLanguage }): Store {
  const inMemory = options.path === ':memory:';
  if (!inMemory) mkdirSync(dirname(options.path), { recursive: true });
  const writer = new BetterSqlite3(options.path);
  writer.pragma('journal_mode = WAL');
  // NORMAL keeps WAL durable across process crashes; only an OS crash can lose the last transactions.
  writer.pragma('synchronous = NORMAL');
  writer.pragma('busy_timeout = 5000');
  // The savepoint each grouped write runs in (sqlite-group-commit.ts) keeps its undo log in a temporary file,
  // created and deleted once per batch: in memory it costs no file system calls. The WAL alone holds durability.
  writer.pragma('temp_store = MEMORY');
  // Checkpoints happen on a worker thread (see sqlite-checkpointer.ts); the writer's own are a safety net.
  const checkpointer = inMemory ? undefined : startCheckpointer(options.path);
  if (checkpointer) writer.pragma(`wal_autocheckpoint = ${WRITER_AUTOCHECKPOINT_PAGES}`);
  // A second connection for reads outside transactions; it sees only committed data (see sqlite-group-commit.ts).
  const reader = inMemory ? undefined : new BetterSqlite3(options.path);
  reader?.pragma('busy_timeout = 5000');
  reader?.pragma('query_only = true');
  const dialect = new SqliteGroupCommitDialect(writer, reader, checkpointer);
  const db = new Kysely<Database>({ dialect, plugins: [new InlineLimitPlugin()] });
  const types = { ...sqliteTypes, searchLanguage: options.searchLanguage ?? 'english' };
  return createKyselyStore(db, { dialect: 'sqlite', skipLocked: false, notify: false }, types, db, undefined, dialect.directTransactions(db));
}
