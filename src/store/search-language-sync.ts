import { sql, type Kysely } from 'kysely';
import { FTS5_TOKENIZERS, SEARCH_LANGUAGES, textSearchConfigName, type SearchLanguage } from './search-language.js';

// Changing the search language rebuilds the lexical index (FTS5 table or Postgres tsvector column) in place.

/** The text search configuration to name in Postgres queries, as a literal (the values are fixed above). */
export const textSearchConfig = (language: SearchLanguage) => sql.lit(textSearchConfigName(language));

/** The language the index was built with, read from its definition (the schema is the record), or undefined. */
async function builtLanguage(db: Kysely<any>, fullText: 'fts5' | 'tsvector'): Promise<SearchLanguage | undefined> {
  if (fullText === 'fts5') {
    const { rows } = await sql<{ sql: string }>`select sql from sqlite_master where type = 'table' and name = 'search_chunks_fts'`.execute(db);
    const definition = rows[0]?.sql ?? '';
    return SEARCH_LANGUAGES.find((l) => FTS5_TOKENIZERS[l] && definition.includes(`tokenize='${FTS5_TOKENIZERS[l]}'`));
  }
  const { rows } = await sql<{ expr: string }>`
    select pg_get_expr(d.adbin, d.adrelid) as expr from pg_attrdef d
    join pg_attribute a on a.attrelid = d.adrelid and a.attnum = d.adnum
    where d.adrelid = to_regclass('search_chunks') and a.attname = 'tsv'`.execute(db);
  const expr = rows[0]?.expr ?? '';
  return SEARCH_LANGUAGES.find((l) => expr.includes(`'${textSearchConfigName(l)}'::regconfig`));
}

async function rebuildFts5(db: Kysely<any>, language: SearchLanguage) {
  const tokenizer = FTS5_TOKENIZERS[language];
  // The configuration refuses these languages on SQLite; this is the last guard.
  if (!tokenizer) throw new Error(`search_language ${language} needs Postgres: SQLite stems english only`);
  // The triggers on search_chunks name the FTS table, so they keep feeding the new one.
  await sql`drop table if exists search_chunks_fts`.execute(db);
  await sql`create virtual table search_chunks_fts using fts5(text, content='search_chunks', content_rowid='seq', tokenize=${sql.lit(tokenizer)})`.execute(db);
  await sql`insert into search_chunks_fts(search_chunks_fts) values ('rebuild')`.execute(db);
}

async function rebuildTsvector(db: Kysely<any>, language: SearchLanguage) {
  // The same expression as migration 0005 with another configuration, and the GIN index as 0015 left it.
  await sql`alter table search_chunks drop column if exists tsv`.execute(db);
  await sql`alter table search_chunks add column tsv tsvector
    generated always as (to_tsvector(${textSearchConfig(language)}, regexp_replace(text, '[[:punct:]]+', ' ', 'g'))) stored`.execute(db);
  await sql`create index search_chunks_tsv on search_chunks using gin (tsv) with (fastupdate = off)`.execute(db);
}

/**
 * Rebuilds the lexical index when it was built for another language than `language`, calling `starting` with
 * the language it had first (a rebuild reads every chunk); returns that language, or undefined when it already
 * matched. On Postgres the table is locked first, so replicas starting together rebuild it once.
 */
export async function syncSearchLanguage(
  db: Kysely<any>,
  fullText: 'fts5' | 'tsvector',
  language: SearchLanguage,
  starting?: (from: SearchLanguage | 'unknown') => void,
): Promise<SearchLanguage | 'unknown' | undefined> {
  if ((await builtLanguage(db, fullText)) === language) return undefined;
  return db.transaction().execute(async (tx) => {
    if (fullText === 'tsvector') await sql`lock table search_chunks in access exclusive mode`.execute(tx);
    const current = (await builtLanguage(tx, fullText)) ?? 'unknown';
    if (current === language) return undefined;
    starting?.(current);
    await (fullText === 'fts5' ? rebuildFts5(tx, language) : rebuildTsvector(tx, language));
    return current;
  });
}
