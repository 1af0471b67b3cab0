import { sql, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import { searchIndexMigration } from './search-index-migration.js';
import type { SearchLanguage } from './search-language.js';
import { searchGinWriteThroughMigration } from './search-postgres-gin-migration.js';

/** Column types that differ by dialect; ids compare byte-wise everywhere so they sort in creation order. */
export interface DialectTypes {
  id: ReturnType<typeof sql>;
  bigint: 'bigint' | 'integer';
  blob: 'blob' | 'bytea';
  /** The full-text engine the search index is built on. */
  fullText: 'fts5' | 'tsvector';
  /** The language its words are read in (default english); not used by migrations, which build english. */
  searchLanguage?: SearchLanguage;
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

/** The run engine: leases for claiming runs, expiry as a column the sweep can find, and the run event log. */
function runEngine(types: DialectTypes): Migration {
  return {
    async up(db: Db) {
      await db.schema.alterTable('runs').addColumn('lease_owner', 'text').execute();
      await db.schema.alterTable('runs').addColumn('lease_until', types.bigint).execute();
      await db.schema.alterTable('runs').addColumn('previous_owner', 'text').execute();
      await db.schema.alterTable('runs').addColumn('expires_at', types.bigint).execute();
      await db.schema.createIndex('runs_work').ifNotExists().on('runs').columns(['status', 'created_at']).execute();
      await db.schema.createIndex('runs_expiry').ifNotExists().on('runs').columns(['expires_at']).execute();
      await db.schema
        .createTable('run_events')
        .ifNotExists()
        .addColumn('run_id', types.id, (c) => c.notNull())
        .addColumn('seq', 'integer', (c) => c.notNull())
        .addColumn('project', 'text', (c) => c.notNull())
        .addColumn('event', 'text', (c) => c.notNull())
        .addColumn('data', 'text', (c) => c.notNull())
        .addColumn('created_at', types.bigint, (c) => c.notNull())
        .addPrimaryKeyConstraint('run_events_pk', ['run_id', 'seq'])
        .execute();
    },
  };
}

/** Vector stores, their files (ingestion state as columns, leased by the pipeline) and file batches. */
function vectorStores(types: DialectTypes): Migration {
  return {
    async up(db: Db) {
      await documentTable(db, types, 'vector_stores')
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('expires_at', types.bigint)
        .execute();
      await documentTable(db, types, 'vector_store_file_batches').addColumn('vector_store_id', types.id, (c) => c.notNull()).execute();
      await db.schema
        .createTable('vector_store_files')
        .ifNotExists()
        .addColumn('project', 'text', (c) => c.notNull())
        .addColumn('vector_store_id', types.id, (c) => c.notNull())
        .addColumn('file_id', types.id, (c) => c.notNull())
        .addColumn('batch_id', types.id)
        .addColumn('created_at', types.bigint, (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('usage_bytes', types.bigint, (c) => c.notNull())
        .addColumn('last_error', 'text')
        .addColumn('job', 'text', (c) => c.notNull())
        .addColumn('lease_until', types.bigint)
        .addColumn('data', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('vector_store_files_pk', ['vector_store_id', 'file_id'])
        .execute();
      const index = (name: string, table: string, columns: string[]) => db.schema.createIndex(name).ifNotExists().on(table).columns(columns).execute();
      await index('vector_stores_page', 'vector_stores', ['project', 'created_at', 'id']);
      await index('vector_stores_expiry', 'vector_stores', ['status', 'expires_at']);
      await index('vector_store_file_batches_store', 'vector_store_file_batches', ['vector_store_id']);
      await index('vector_store_files_page', 'vector_store_files', ['vector_store_id', 'created_at', 'file_id']);
      await index('vector_store_files_status', 'vector_store_files', ['vector_store_id', 'status']);
      await index('vector_store_files_batch', 'vector_store_files', ['batch_id', 'status']);
      await index('vector_store_files_work', 'vector_store_files', ['status', 'created_at']);
    },
  };
}

/** Named scripts for the scripted model (`model: "scripted:<name>"`); shared by every project, like model routes. */
function scripts(types: DialectTypes): Migration {
  return {
    async up(db: Db) {
      await db.schema
        .createTable('scripts')
        .ifNotExists()
        .addColumn('name', types.id, (c) => c.primaryKey())
        .addColumn('data', 'text', (c) => c.notNull())
        .addColumn('created_at', types.bigint, (c) => c.notNull())
        .addColumn('updated_at', types.bigint, (c) => c.notNull())
        .execute();
    },
  };
}

/** Deleting a file removes it from every store that holds it; this finds those stores without a scan. */
function vectorStoreFilesByFile(): Migration {
  return {
    async up(db: Db) {
      await db.schema.createIndex('vector_store_files_file').ifNotExists().on('vector_store_files').columns(['file_id']).execute();
    },
  };
}

/**
 * Which embedding model made each vector, and which model all of a store's vectors come from (null while some
 * chunk waits for one), so search never compares vectors of two models and the backfill finds stale stores
 * without scanning chunks. Vectors written before this came from the only model there was, at its default size.
 * Also the ingestion claim's index: in-progress files by creation, so claiming reads the few rows it takes
 * instead of every queued file.
 */
function embeddingModels(): Migration {
  return {
    async up(db: Db) {
      await db.schema.alterTable('search_chunks').addColumn('embedding_model', 'text').execute();
      await db.schema.alterTable('search_stores').addColumn('embedding_model', 'text').execute();
      await db.updateTable('search_chunks').set({ embedding_model: 'text-embedding-3-large:256' }).where('embedding', 'is not', null).execute();
      await db.schema.createIndex('search_stores_embedding').ifNotExists().on('search_stores').columns(['embedding_model']).execute();
      await db.schema.dropIndex('vector_store_files_work').ifExists().execute();
      await db.schema.createIndex('vector_store_files_queue').ifNotExists().on('vector_store_files').columns(['created_at', 'vector_store_id', 'file_id'])
        .where(sql.ref('status'), '=', 'in_progress').execute();
    },
  };
}

/**
 * Named scripts belong to the project of the key that stored them (another project can neither read nor
 * replace them). The table is rebuilt with (project, name) as its key; scripts stored before were server-wide
 * and go to the `default` project, the one of ASSISTD_API_KEY and of a server without keys.
 */
function scriptsByProject(types: DialectTypes): Migration {
  return {
    async up(db: Db) {
      await db.schema
        .createTable('scripts_by_project')
        .addColumn('project', types.id, (c) => c.notNull())
        .addColumn('name', types.id, (c) => c.notNull())
        .addColumn('data', 'text', (c) => c.notNull())
        .addColumn('created_at', types.bigint, (c) => c.notNull())
        .addColumn('updated_at', types.bigint, (c) => c.notNull())
        .addPrimaryKeyConstraint('scripts_by_project_pk', ['project', 'name'])
        .execute();
      await sql`insert into scripts_by_project (project, name, data, created_at, updated_at) select 'default', name, data, created_at, updated_at from scripts`.execute(db);
      await db.schema.dropTable('scripts').execute();
      await db.schema.alterTable('scripts_by_project').renameTo('scripts').execute();
    },
  };
}

/**
 * Each message's prompt token count (o200k_base), so a run on a long thread does not re-tokenize it: null until
 * the engine first counts the message, and again after each write of it (see thread-messages.ts).
 */
function messagePromptTokens(): Migration {
  return {
    async up(db: Db) {
      await db.schema.alterTable('messages').addColumn('o200k_tokens', 'integer').execute();
    },
  };
}

/**
 * Each message's role and prompt text (see domain `promptText`), so a prompt over a long thread reads a short
 * column instead of parsing every message. Rows written before it keep nulls and are read in full, as before.
 */
function messagePromptText(): Migration {
  return {
    async up(db: Db) {
      await db.schema.alterTable('messages').addColumn('role', 'text').execute();
      await db.schema.alterTable('messages').addColumn('prompt_text', 'text').execute();
    },
  };
}

/**
 * The Responses API: responses (with their own input items, and the chain and conversation they belong to),
 * conversations, and conversation items numbered by position so pages never skip one added in the same second.
 */
function responses(types: DialectTypes): Migration {
  return {
    async up(db: Db) {
      await documentTable(db, types, 'responses')
        .addColumn('input', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('previous_response_id', types.id)
        .addColumn('conversation_id', types.id)
        .execute();
      await documentTable(db, types, 'conversations').execute();
      await db.schema
        .createTable('conversation_items')
        .ifNotExists()
        .addColumn('project', 'text', (c) => c.notNull())
        .addColumn('conversation_id', types.id, (c) => c.notNull())
        .addColumn('position', 'integer', (c) => c.notNull())
        .addColumn('id', types.id, (c) => c.notNull())
        .addColumn('created_at', types.bigint, (c) => c.notNull())
        .addColumn('data', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('conversation_items_pk', ['conversation_id', 'position'])
        .execute();
      await db.schema.createIndex('conversation_items_id').ifNotExists().on('conversation_items').columns(['conversation_id', 'id']).execute();
      await db.schema.createIndex('conversations_page').ifNotExists().on('conversations').columns(['project', 'created_at', 'id']).execute();
    },
  };
}

/**
 * Background responses are work for the workers, as runs are: the prepared model call they run (`job`, null for
 * responses answered in the request) and a lease, claimed oldest first.
 */
function responseQueue(types: DialectTypes): Migration {
  return {
    async up(db: Db) {
      await db.schema.alterTable('responses').addColumn('job', 'text').execute();
      await db.schema.alterTable('responses').addColumn('lease_owner', 'text').execute();
      await db.schema.alterTable('responses').addColumn('lease_until', types.bigint).execute();
      await db.schema.alterTable('responses').addColumn('previous_owner', 'text').execute();
      await db.schema.createIndex('responses_work').ifNotExists().on('responses').columns(['status', 'created_at']).execute();
    },
  };
}

/** Per-minute request and token counts of keys and projects (rate limits), and the owners of code sessions. */
function rateLimits(types: DialectTypes): Migration {
  return {
    async up(db: Db) {
      await db.schema
        .createTable('rate_limit_windows')
        .ifNotExists()
        .addColumn('scope', 'text', (c) => c.notNull())
        .addColumn('window_start', types.bigint, (c) => c.notNull())
        .addColumn('requests', 'integer', (c) => c.notNull())
        .addColumn('tokens', types.bigint, (c) => c.notNull())
        .addPrimaryKeyConstraint('rate_limit_windows_pk', ['scope', 'window_start'])
        .execute();
      // Which replica holds each thread's code session, so runs of the thread go there (session affinity).
      await db.schema
        .createTable('thread_sessions')
        .ifNotExists()
        .addColumn('thread_id', types.id, (c) => c.primaryKey())
        .addColumn('owner', 'text', (c) => c.notNull())
        .addColumn('until', types.bigint, (c) => c.notNull())
        .execute();
    },
  };
}

/**
 * Containers (code sessions of the Responses API, and of threads: those have a `thread_id` and are not listed)
 * and the files in their /mnt/data; a file's bytes are the blob of its own id, and its path is a column so a file
 * the code rewrites replaces the record of that path.
 */
function containers(types: DialectTypes): Migration {
  return {
    async up(db: Db) {
      await documentTable(db, types, 'containers')
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('thread_id', types.id)
        .execute();
      await documentTable(db, types, 'container_files')
        .addColumn('container_id', types.id, (c) => c.notNull())
        .addColumn('path', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('containers_page').ifNotExists().on('containers').columns(['project', 'created_at', 'id']).execute();
      await db.schema.createIndex('containers_thread').ifNotExists().on('containers').columns(['thread_id']).execute();
      await db.schema.createIndex('container_files_page').ifNotExists().on('container_files').columns(['container_id', 'created_at', 'id']).execute();
    },
  };
}

/** The API key (its hash) that created each run, so per-key limits can count its tokens and concurrent runs. */
function runKeys(): Migration {
  return {
    async up(db: Db) {
      await db.schema.alterTable('runs').addColumn('key_id', 'text').execute();
    },
  };
}

/**
 * Two indexes of runs that no query reads (the planners find active runs through runs_work and a thread's
 * newest run through runs_page) but every run writes, twice: once when stored, once when it ends.
 */
function runIndexesUnread(): Migration {
  return {
    async up(db: Db) {
      await db.schema.dropIndex('runs_status').ifExists().execute();
      await db.schema.dropIndex('runs_expiry').ifExists().execute();
    },
  };
}

/** The run path's columns of large JSON documents: a run's event batches, and the documents each run writes. */
const RUN_DOCUMENTS = [['run_events', 'data'], ['runs', 'data'], ['run_steps', 'data'], ['messages', 'data'], ['threads', 'data']] as const;

/**
 * Postgres compresses a value over about 2 kB before storing it (TOAST), with pglz by default, which costs its
 * backend several times the CPU of lz4 on every write of a run's event batch. New values of these columns use lz4
 * where the server is built with it (it lists lz4 among default_toast_compression's values); stored values keep
 * their pglz compression, which reads as before. Nothing is rewritten. SQLite does not compress.
 */
function runDocumentsLz4(types: DialectTypes): Migration {
  return {
    async up(db: Db) {
      if (types.fullText !== 'tsvector') return;
      const { rows } = await sql<{ lz4: boolean }>`select 'lz4' = any(enumvals) as lz4 from pg_settings where name = 'default_toast_compression'`.execute(db);
      if (!rows[0]?.lz4) return;
      for (const [table, column] of RUN_DOCUMENTS) await sql`alter table ${sql.table(table)} alter column ${sql.ref(column)} set compression lz4`.execute(db);
    },
  };
}

/** Forward-only migrations, applied in name order. Never edit one that has shipped: add the next. */
export function migrationProvider(types: DialectTypes): MigrationProvider {
  return {
    async getMigrations() {
      return { '0001_foundation': foundation(types), '0002_runs': runs(types), '0003_run_engine': runEngine(types), '0004_vector_stores': vectorStores(types),
        '0005_search_index': searchIndexMigration(types), '0006_scripts': scripts(types),
        '0007_vector_store_files_by_file': vectorStoreFilesByFile(), '0008_embedding_models': embeddingModels(), '0009_scripts_by_project': scriptsByProject(types),
        '0010_message_prompt_tokens': messagePromptTokens(), '0011_responses': responses(types),
        '0012_containers': containers(types), '0013_rate_limits_and_sessions': rateLimits(types), '0014_response_queue': responseQueue(types),
        '0015_search_gin_write_through': searchGinWriteThroughMigration(types), '0017_message_prompt_text': messagePromptText(),
        '0020_run_keys': runKeys(),
        '0021_run_indexes_unread': runIndexesUnread(),
        '0022_run_documents_lz4': runDocumentsLz4(types) };
    },
  };
}

export const sqliteTypes: DialectTypes = { id: sql`text`, bigint: 'integer', blob: 'blob', fullText: 'fts5' };
export const postgresTypes: DialectTypes = { id: sql`text collate "C"`, bigint: 'bigint', blob: 'bytea', fullText: 'tsvector' };
