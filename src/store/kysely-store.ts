import { Migrator, type Kysely } from 'kysely';
import type { Assistant, FileObject, Message, Run, RunStep, VectorStoreFileBatch } from '../domain/types.js';
import { promptText } from '../domain/messages.js';
import type { ContainerFileObject, StoredContainer } from '../domain/containers.js';
import type { Conversation } from '../domain/responses.js';
import { createAssistantsRepo } from './assistants-repo.js';
import { createChunksRepo } from './chunks-repo.js';
import { createConversationItemsRepo } from './conversations-repo.js';
import { createDocumentRepo } from './document-repo.js';
import { idOwners } from './id-owners.js';
import { createKeysRepo } from './keys-repo.js';
import { createResponsesRepo } from './responses-repo.js';
import { createRunEventsRepo } from './run-events-repo.js';
import { createRunQueue, runColumns } from './run-queue.js';
import { createScriptsRepo } from './scripts-repo.js';
import { createRateLimitsRepo } from './rate-limits-repo.js';
import { createThreadSessionsRepo } from './thread-sessions-repo.js';
import { createThreadMessages } from './thread-messages.js';
import { createThreadsRepo } from './threads-repo.js';
import { createVectorStoreFilesRepo } from './vector-store-files-repo.js';
import { createVectorStoresRepo } from './vector-stores-repo.js';
import { migrationProvider, type DialectTypes } from './migrations.js';
import type { Database } from './schema.js';
import type { Notifications, Store, StoreCapabilities } from './store.js';
import { markUnread } from './unread-results.js';
import { lockedOrFail, missingThread } from './missing-thread.js';

/** A message, step or run never moves to another thread or run: updates leave these indexed columns alone. */
const IN_THREAD: ReadonlySet<string> = new Set(['thread_id', 'run_id']);

/**
 * A dialect's own transactions, run by its driver without Kysely's per-transaction builders, executors and
 * connection providers: `run` opens one, runs `fn` with a Kysely transaction handle whose statements go to it, and
 * commits it (rolls it back if `fn` throws). A driver hands out the same few handles again and again (SQLite's one,
 * as it runs one transaction at a time; Postgres's one per pooled connection), so the store builds the
 * repositories over each handle once.
 */
export interface DirectTransactions {
  run<T>(fn: (handle: Kysely<Database>) => Promise<T>): Promise<T>;
}

/**
 * Builds the repositories over one Kysely handle; the dialect-specific factories only make the handle.
 * `direct`: the dialect's own transactions, used instead of Kysely's.
 */
export function createKyselyStore(
  db: Kysely<Database>,
  capabilities: StoreCapabilities,
  types: DialectTypes,
  root: Kysely<Database> = db,
  notifications?: Notifications,
  direct?: DirectTransactions,
): Store {
  const any = db as Kysely<any>;
  const transactionStores = direct ? new WeakMap<Kysely<Database>, Store>() : undefined;
  const storeOver = (handle: Kysely<Database>) => {
    let tx = transactionStores!.get(handle);
    if (!tx) transactionStores!.set(handle, (tx = createKyselyStore(handle, capabilities, types, root, notifications)));
    return tx;
  };
  const store: Store = {
    capabilities,
    ...(notifications ? { notifications } : {}),
    assistants: createAssistantsRepo(any, capabilities.dialect === 'postgres'),
    threads: createThreadsRepo(any, capabilities.dialect),
    // A write may change what the message costs in a prompt: its count is cleared, to be counted again, and its
    // prompt text is written with it, so prompts over a long thread need not parse every message.
    messages: createDocumentRepo<Message>(any, 'messages', (m) => ({ thread_id: m.thread_id, run_id: m.run_id, o200k_tokens: null, role: m.role, prompt_text: promptText(m) }), IN_THREAD),
    threadMessages: createThreadMessages(any, capabilities.dialect),
    files: createDocumentRepo<FileObject>(any, 'files', (f) => ({ purpose: f.purpose })),
    runs: createDocumentRepo<Run>(any, 'runs', runColumns, IN_THREAD, capabilities.dialect === 'postgres'),
    runSteps: createDocumentRepo<RunStep>(any, 'run_steps', (s) => ({ thread_id: s.thread_id, run_id: s.run_id }), IN_THREAD),
    keys: createKeysRepo(db),
    chunks: createChunksRepo(db, types.fullText, types.searchLanguage),
    vectorStores: createVectorStoresRepo(any),
    vectorStoreFiles: createVectorStoreFilesRepo(any, capabilities),
    vectorStoreFileBatches: createDocumentRepo<VectorStoreFileBatch>(any, 'vector_store_file_batches', (b) => ({ vector_store_id: b.vector_store_id })),
    runQueue: createRunQueue(any, capabilities),
    runEvents: createRunEventsRepo(any, capabilities.notify),
    scripts: createScriptsRepo(db),
    responses: createResponsesRepo(any, capabilities),
    conversations: createDocumentRepo<Conversation>(any, 'conversations'),
    conversationItems: createConversationItemsRepo(any, capabilities),
    rateLimits: createRateLimitsRepo(db, capabilities),
    threadSessions: createThreadSessionsRepo(db),
    containers: createDocumentRepo<StoredContainer>(any, 'containers', (c) => ({ name: c.name, thread_id: c.thread_id ?? null })),
    containerFiles: createDocumentRepo<ContainerFileObject>(any, 'container_files', (f) => ({ container_id: f.container_id, path: f.path })),
    async lockThread(project, threadId, mode = 'exclusive', mustExist = false) {
      // SQLite runs one write transaction at a time already; Postgres needs the row lock to serialize.
      if (!capabilities.skipLocked) {
        if (mustExist && !(await store.threads.get(project, threadId))) throw missingThread();
        return;
      }
      const query = any.selectFrom('threads').select('id').where('id', '=', threadId).where('project', '=', project);
      const locking = mode === 'shared' ? query.forShare() : query.forUpdate();
      // Its answer is not read: the driver sends it with the transaction's next statement, which runs after it.
      await any.executeQuery(markUnread((mustExist ? lockedOrFail(any, locking) : locking).compile()));
    },
    async knownFileIds(ids) {
      if (ids.length === 0) return new Set();
      const rows = await any
        .selectFrom('files')
        .select('id')
        .where('id', 'in', ids)
        .unionAll(any.selectFrom('container_files').select('id').where('id', 'in', ids))
        .execute();
      return new Set(rows.map((r: { id: string }) => r.id));
    },
    idOwners: (table, ids) => idOwners(any, table, ids),
    async transaction(fn) {
      if (db.isTransaction) return fn(store);
      if (direct) return direct.run((handle) => fn(storeOver(handle)));
      return db.transaction().execute((trx) => fn(createKyselyStore(trx, capabilities, types, root, notifications)));
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
