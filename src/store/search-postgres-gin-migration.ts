import { sql, type Kysely, type Migration } from 'kysely';
import type { DialectTypes } from './migrations.js';

/**
 * Postgres: the chunks' GIN index writes through instead of collecting new entries in a pending list. Every
 * full-text query scans the whole pending list (up to 4 MB), which after a burst of ingestion made a search of
 * 30,000 chunks take 50-150 ms instead of 20 ms, until a vacuum happened to flush it; ingestion pays a little
 * per chunk instead. SQLite's FTS5 has no such list.
 */
export function searchGinWriteThroughMigration(types: DialectTypes): Migration {
  return {
    async up(db: Kysely<any>) {
      if (types.fullText !== 'tsvector') return;
      await sql`alter index search_chunks_tsv set (fastupdate = off)`.execute(db);
      await sql`select gin_clean_pending_list('search_chunks_tsv'::regclass)`.execute(db);
    },
  };
}
