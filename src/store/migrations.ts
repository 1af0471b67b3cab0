import { sql, type Kysely, type Migration, type MigrationProvider } from 'kysely';

/** Column types that differ by dialect; ids compare byte-wise everywhere so they sort in creation order. */
export interface DialectTypes {
  id: ReturnType<typeof sql>;
  bigint: 'bigint' | 'integer';
}

type Db = Kysely<any>;

function documentTable(db: Db, types: DialectTypes, name: string) {
  return db.schema
    .createTable(name)
    .ifNotExists()
    .addColumn('id', types.id, (c) => c.primaryKey())
    .addColumn('project', 'text', (c) => c.notNull())
    .addColumn('created_at', types.bigint, (c) => c.notNull())
    .addColumn('data', 'text', (c) => c.notNull());
}

function foundation(types: DialectTypes): Migration {
  return {
    async up(db: Db) {
      await documentTable(db, types, 'assistants').execute();
      await documentTable(db, types, 'threads').execute();
      await documentTable(db, types, 'messages')
        .addColumn('thread_id', types.id, (c) => c.notNull())
        .addColumn('run_id', types.id)
        .execute();
      await documentTable(db, types, 'files').addColumn('purpose', 'text', (c) => c.notNull()).execute();
      await db.schema
        .createTable('api_keys')
        .ifNotExists()
        .addColumn('id', types.id, (c) => c.primaryKey())
        .addColumn('project', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('hash', 'text', (c) => c.notNull().unique())
        .addColumn('hint', 'text', (c) => c.notNull())
        .addColumn('created_at', types.bigint, (c) => c.notNull())
        .addColumn('revoked_at', types.bigint)
        .execute();
      for (const table of ['assistants', 'threads', 'files']) {
        await db.schema.createIndex(`${table}_page`).ifNotExists().on(table).columns(['project', 'created_at', 'id']).execute();
      }
      await db.schema.createIndex('messages_page').ifNotExists().on('messages').columns(['thread_id', 'created_at', 'id']).execute();
      await db.schema.createIndex('messages_run').ifNotExists().on('messages').columns(['run_id']).execute();
    },
  };
}

/** Runs and their steps; `status` is a column so the thread lock and the worker can find active runs. */
function runs(types: DialectTypes): Migration {
  return {
    async up(db: Db) {
      await documentTable(db, types, 'runs')
        .addColumn('thread_id', types.id, (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .execute();
      await documentTable(db, types, 'run_steps')
        .addColumn('thread_id', types.id, (c) => c.notNull())
        .addColumn('run_id', types.id, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('runs_page').ifNotExists().on('runs').columns(['thread_id', 'created_at', 'id']).execute();
      await db.schema.createIndex('runs_status').ifNotExists().on('runs').columns(['thread_id', 'status']).execute();
      await db.schema.createIndex('run_steps_page').ifNotExists().on('run_steps').columns(['run_id', 'created_at', 'id']).execute();
    },
  };
}

/** Forward-only migrations, applied in name order. Never edit one that has shipped: add the next. */
export function migrationProvider(types: DialectTypes): MigrationProvider {
  return {
    async getMigrations() {
      return { '0001_foundation': foundation(types), '0002_runs': runs(types) };
    },
  };
}

export const sqliteTypes: DialectTypes = { id: sql`text`, bigint: 'integer' };
export const postgresTypes: DialectTypes = { id: sql`text collate "C"`, bigint: 'bigint' };
