import { Migrator, type Kysely } from 'kysely';
import type { Assistant, FileObject, Message, Run, RunStep, Thread } from '../domain/types.js';
import { createDocumentRepo } from './document-repo.js';
import { createKeysRepo } from './keys-repo.js';
import { migrationProvider, type DialectTypes } from './migrations.js';
import type { Database } from './schema.js';
import type { Store, StoreCapabilities } from './store.js';

/** Builds the repositories over one Kysely handle; the dialect-specific factories only make the handle. */
export function createKyselyStore(
  db: Kysely<Database>,
  capabilities: StoreCapabilities,
  types: DialectTypes,
  root: Kysely<Database> = db,
): Store {
  const any = db as Kysely<any>;
  const store: Store = {
    capabilities,
    assistants: createDocumentRepo<Assistant>(any, 'assistants'),
    threads: createDocumentRepo<Thread>(any, 'threads'),
    messages: createDocumentRepo<Message>(any, 'messages', (m) => ({ thread_id: m.thread_id, run_id: m.run_id })),
    files: createDocumentRepo<FileObject>(any, 'files', (f) => ({ purpose: f.purpose })),
    runs: createDocumentRepo<Run>(any, 'runs', (r) => ({ thread_id: r.thread_id, status: r.status })),
    runSteps: createDocumentRepo<RunStep>(any, 'run_steps', (s) => ({ thread_id: s.thread_id, run_id: s.run_id })),
    keys: createKeysRepo(db),
    async transaction(fn) {
      if (db.isTransaction) return fn(store);
      return db.transaction().execute((trx) => fn(createKyselyStore(trx, capabilities, types, root)));
    },
    async ping() {
      await db.selectFrom('api_keys').select('id').limit(1).execute().catch(async (err) => {
        // Before migrations the table is missing; any answer from the database still proves it is reachable.
        if (!/api_keys/.test(String(err))) throw err;
      });
    },
    async pendingMigrations() {
      const migrations = await new Migrator({ db: root, provider: migrationProvider(types) }).getMigrations();
      return migrations.filter((m) => m.executedAt === undefined).map((m) => m.name);
    },
    async migrate() {
      const { error } = await new Migrator({ db: root, provider: migrationProvider(types) }).migrateToLatest();
      if (error) throw error;
    },
    async close() {
      await root.destroy();
    },
  };
  return store;
}
