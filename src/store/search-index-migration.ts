import { sql, type CreateTableBuilder, type Kysely, type Migration } from 'kysely';
import type { DialectTypes } from './migrations.js';

// The file_search index: chunk text with its embedding, the indexed files' names and attributes, and per vector
// store change counters that let each process keep an in-memory copy of a store's vectors current cheaply.
// Only the full-text index differs by dialect: an FTS5 table (BM25) on SQLite, a stored tsvector with a GIN
// index on Postgres.

type Db = Kysely<any>;

export function searchIndexMigration(types: DialectTypes): Migration {
  return {
    async up(db: Db) {
      // `version` grows on every change to the store's files; `removals` on every change that deletes chunks, so a
      // reader that saw no new removals only has to load rows with a newer version.
      await db.schema
        .createTable('search_stores')
        .ifNotExists()
        .addColumn('vector_store_id', types.id, (c) => c.primaryKey())
        .addColumn('project', 'text', (c) => c.notNull())
        .addColumn('version', types.bigint, (c) => c.notNull().defaultTo(0))
        .addColumn('removals', types.bigint, (c) => c.notNull().defaultTo(0))
        .execute();
      await db.schema
        .createTable('search_files')
        .ifNotExists()
        .addColumn('vector_store_id', types.id, (c) => c.notNull())
        .addColumn('file_id', types.id, (c) => c.notNull())
        .addColumn('project', 'text', (c) => c.notNull())
        .addColumn('filename', 'text', (c) => c.notNull())
        .addColumn('attributes', 'text', (c) => c.notNull())
        .addColumn('version', types.bigint, (c) => c.notNull())
        .addPrimaryKeyConstraint('search_files_pk', ['vector_store_id', 'file_id'])
        .execute();
      await db.schema.createIndex('search_files_version').ifNotExists().on('search_files').columns(['vector_store_id', 'version']).execute();
      if (types.fullText === 'fts5') await sqliteChunks(db, types);
      else await postgresChunks(db, types);
      await db.schema.createIndex('search_chunks_file').ifNotExists().on('search_chunks').columns(['vector_store_id', 'file_id', 'chunk_index']).execute();
      await db.schema.createIndex('search_chunks_version').ifNotExists().on('search_chunks').columns(['vector_store_id', 'version']).execute();
    },
  };
}

type Table = CreateTableBuilder<any, any>;

function chunkColumns(db: Db, types: DialectTypes, seq: (table: Table) => Table) {
  return seq(db.schema.createTable('search_chunks').ifNotExists())
    .addColumn('project', 'text', (c) => c.notNull())
    .addColumn('vector_store_id', types.id, (c) => c.notNull())
    .addColumn('file_id', types.id, (c) => c.notNull())
    .addColumn('chunk_index', 'integer', (c) => c.notNull())
    .addColumn('version', types.bigint, (c) => c.notNull())
    .addColumn('text', 'text', (c) => c.notNull())
    .addColumn('embedding', types.blob);
}

async function sqliteChunks(db: Db, types: DialectTypes) {
  // INTEGER PRIMARY KEY is the rowid, which the external-content FTS table points at.
  await chunkColumns(db, types, (t) => t.addColumn('seq', 'integer', (c) => c.primaryKey())).execute();
  // Porter stemming lets "gates" find "gate"; codes like ZX-4471 split into their letter and digit runs.
  await sql`create virtual table if not exists search_chunks_fts using fts5(text, content='search_chunks', content_rowid='seq', tokenize='porter unicode61 remove_diacritics 2')`.execute(db);
  await sql`create trigger if not exists search_chunks_ai after insert on search_chunks begin
    insert into search_chunks_fts(rowid, text) values (new.seq, new.text);
  end`.execute(db);
  await sql`create trigger if not exists search_chunks_ad after delete on search_chunks begin
    insert into search_chunks_fts(search_chunks_fts, rowid, text) values ('delete', old.seq, old.text);
  end`.execute(db);
}

async function postgresChunks(db: Db, types: DialectTypes) {
  await chunkColumns(db, types, (t) => t.addColumn('seq', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())).execute();
  // Punctuation becomes space first, as in FTS5: the default parser would read "ZX-4471" as the word "zx" and the
  // signed integer "-4471", which a search for 4471 never matches.
  await sql`alter table search_chunks add column if not exists tsv tsvector
    generated always as (to_tsvector('english', regexp_replace(text, '[[:punct:]]+', ' ', 'g'))) stored`.execute(db);
  await sql`create index if not exists search_chunks_tsv on search_chunks using gin (tsv)`.execute(db);
}
