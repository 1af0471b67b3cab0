import { sql, type Kysely } from 'kysely';
import type { SearchLanguage } from './search-language.js';
import { textSearchConfig } from './search-language-sync.js';

/** A full-text query over the chunks of some vector stores; `terms` are plain words (letters and digits only). */
export interface LexicalQuery {
  vectorStoreIds: string[];
  terms: string[];
  limit: number;
  /** Only chunks of these files (attribute filters are resolved to files before the query). */
  fileIds?: string[];
}

/**
 * A chunk the full-text engine matched. `score` is its BM25 over the query's terms divided by what a passage of
 * average length holding each term once would score: 0..1 (capped), comparable between queries, higher is better.
 */
export interface LexicalHit {
  seq: number;
  vectorStoreId: string;
  fileId: string;
  chunkIndex: number;
  score: number;
}

/**
 * One dialect's full-text search over `search_chunks`; any chunk matching at least one term qualifies. `language`
 * is the one the index was built with (FTS5 knows its own; Postgres queries name it: english by default).
 */
export type LexicalSearch = (db: Kysely<any>, project: string, query: LexicalQuery, language?: SearchLanguage) => Promise<LexicalHit[]>;

interface HitRow {
  seq: number;
  vector_store_id: string;
  file_id: string;
  chunk_index: number;
  score: number;
}

const toHit = (r: HitRow): LexicalHit => ({
  seq: Number(r.seq),
  vectorStoreId: r.vector_store_id,
  fileId: r.file_id,
  chunkIndex: r.chunk_index,
  score: Number(r.score),
});

/**
 * A term in this many chunks or more says little about which chunk is meant, yet ranking every chunk that holds
 * it costs time in proportion to their number: such terms are left out of the full-text query when rarer ones
 * are present (its BM25 weight is small anyway: on SciFact, leaving them out costs 0.002 nDCG@10).
 */
export const COMMON_TERM_CHUNKS = 1000;

/** Counts a term's chunks, stopping at `limit`. */
type TermProbe = (db: Kysely<any>, term: string, limit: number) => Promise<number>;

// Common terms a process remembers, and for how long: Postgres' GIN index reads a term's whole posting list to
// count even its first 1,000 chunks (20 ms for a word in 100,000 chunks), and queries repeat common words. Only
// the verdict "common" is kept: counts below it are exact and cheap to read, and a common term's count is capped
// at COMMON_TERM_CHUNKS anyway, so a remembered one differs from a fresh one only after mass deletions.
const COMMON_TERMS_KEPT = 10_000;
const COMMON_TERM_TTL_MS = 60_000;
const commonTerms = new WeakMap<Kysely<any>, Map<string, number>>();

async function termCount(db: Kysely<any>, term: string, probe: TermProbe): Promise<number> {
  let common = commonTerms.get(db);
  if (!common) commonTerms.set(db, (common = new Map()));
  const until = common.get(term);
  if (until !== undefined && until > Date.now()) return COMMON_TERM_CHUNKS;
  common.delete(term);
  const count = await probe(db, term, COMMON_TERM_CHUNKS);
  if (count >= COMMON_TERM_CHUNKS) {
    if (common.size >= COMMON_TERMS_KEPT) common.delete(common.keys().next().value!);
    common.set(term, Date.now() + COMMON_TERM_TTL_MS);
  }
  return count;
}

/** The terms worth matching and how many chunks hold each (exact below {@link COMMON_TERM_CHUNKS}). */
async function selectiveTerms(db: Kysely<any>, terms: string[], probe: TermProbe): Promise<Array<{ term: string; chunks: number }>> {
  const counted = await Promise.all(terms.map(async (term) => ({ term, chunks: await termCount(db, term, probe) })));
  const rare = counted.filter((t) => t.chunks < COMMON_TERM_CHUNKS);
  return rare.length > 0 ? rare : counted;
}

// BM25's parameters, as FTS5 fixes them: term frequency saturates at k1, length normalisation weighs b.
const K1 = 1.2;
const B = 0.75;

/**
 * BM25's inverse document frequency as FTS5 computes it (never below a tiny positive weight). A row count read
 * earlier (Postgres caches it) may be below a term's current count: the term is then in every row.
 */
const idf = (rows: number, chunks: number) => Math.max(1e-6, Math.log((Math.max(rows, chunks) - chunks + 0.5) / (chunks + 0.5)));

/**
 * What BM25 gives a passage of average length holding each term once: the sum of the terms' idf. Dividing by it
 * turns a score into 0..1, where 1 means every term is there at least as often as that.
 */
const idealScore = (terms: Array<{ chunks: number }>, rows: number) => terms.reduce((sum, t) => sum + idf(rows, t.chunks), 0);

const normalized = (score: number, ideal: number) => (ideal > 0 ? Math.min(1, score / ideal) : 0);

const quoteFts5 = (term: string) => `"${term.replace(/"/g, '""')}"`;

const fts5Probe: TermProbe = async (db, term, limit) => {
  const { rows } = await sql<{ n: number }>`
    select count(*) as n from (select rowid from search_chunks_fts where search_chunks_fts match ${quoteFts5(term)} limit ${limit})`.execute(db);
  return Number(rows[0]?.n ?? 0);
};

/**
 * The number of rows FTS5 computes idf with: the first varint of its "averages" record (row 1 of the shadow
 * `_data` table), which FTS5 keeps current on every write, so reading it costs one row, not a count.
 */
async function fts5Rows(db: Kysely<any>): Promise<number> {
  const { rows } = await sql<{ block: Uint8Array }>`select block from search_chunks_fts_data where id = 1`.execute(db);
  const block = rows[0]?.block;
  if (!block) return 0;
  let value = 0;
  for (let i = 0; i < Math.min(block.length, 8); i++) {
    value = value * 128 + (block[i]! & 0x7f);
    if ((block[i]! & 0x80) === 0) break;
  }
  return value;
}

// Most terms a query of common terms is paired for (28 pairs); more are matched as an OR alone.
const MAX_PAIRED_TERMS = 8;

/**
 * Full-text query text for the terms, given how the engine writes a word, AND and OR: any term, or, when every
 * term is common, any two of them. Ranking every chunk holding one common word means scoring a large share of the
 * table (300,000 chunks: 0.5 s on SQLite); chunks holding two of the query's words are far fewer and hold the
 * best BM25 scores but for rare exceptions. The single-term OR is the fallback when pairs match too little.
 */
function matchQueries(terms: Array<{ term: string; chunks: number }>, word: (t: string) => string, and: string, or: string): string[] {
  const any = terms.map((t) => word(t.term)).join(or);
  const common = terms.every((t) => t.chunks >= COMMON_TERM_CHUNKS);
  if (!common || terms.length < 2 || terms.length > MAX_PAIRED_TERMS) return [any];
  const pairs: string[] = [];
  for (let i = 0; i < terms.length; i++) for (let j = i + 1; j < terms.length; j++) pairs.push(`(${word(terms[i]!.term)}${and}${word(terms[j]!.term)})`);
  return [pairs.join(or), any];
}

/** Runs the match queries in order until one finds `limit` chunks (the last one's hits stand regardless). */
async function firstEnough<T>(matches: string[], limit: number, run: (match: string) => Promise<T[]>): Promise<T[]> {
  for (let i = 0; ; i++) {
    const hits = await run(matches[i]!);
    if (hits.length >= limit || i === matches.length - 1) return hits;
  }
}

/** SQLite FTS5, ranked by its BM25 (which it reports negated: lower is better). */
export const fts5Search: LexicalSearch = async (db, project, query) => {
  if (query.terms.length === 0 || query.vectorStoreIds.length === 0) return [];
  const terms = await selectiveTerms(db, query.terms, fts5Probe);
  // Each term is quoted so FTS5 reads it as a word, never as an operator or a column name.
  const matches = matchQueries(terms, quoteFts5, ' AND ', ' OR ');
  const files = query.fileIds ? sql`and c.file_id in (select value from json_each(${JSON.stringify(query.fileIds)}))` : sql``;
  const rows = await firstEnough(matches, query.limit, async (match) => {
    const result = await sql<HitRow>`
      select c.seq, c.vector_store_id, c.file_id, c.chunk_index, -bm25(search_chunks_fts) as score
      from search_chunks_fts join search_chunks c on c.seq = search_chunks_fts.rowid
      where search_chunks_fts match ${match} and c.project = ${project}
        and c.vector_store_id in (select value from json_each(${JSON.stringify(query.vectorStoreIds)})) ${files}
      order by score desc limit ${query.limit}`.execute(db);
    return result.rows;
  });
  const ideal = idealScore(terms, await fts5Rows(db));
  return rows.map((r) => ({ ...toHit(r), score: normalized(Number(r.score), ideal) }));
};

const tsvectorProbe = (language: SearchLanguage): TermProbe => async (db, term, limit) => {
  const { rows } = await sql<{ n: number }>`
    select count(*) as n from (select 1 from search_chunks where tsv @@ to_tsquery(${textSearchConfig(language)}, ${term}) limit ${limit}) x`.execute(db);
  return Number(rows[0]?.n ?? 0);
};

// Chunks whose length is averaged for BM25's length normalisation, on a large table.
const LENGTH_SAMPLE = 1000;
// How long a process reuses the table's statistics: they move slowly, and sampling lengths costs milliseconds.
const STATS_TTL_MS = 60_000;

interface TableStats {
  rows: number;
  avgLength: number;
}

const statsCache = new WeakMap<Kysely<any>, { at: number; stats: Promise<TableStats> }>();

/**
 * What BM25 needs of the whole table, as FTS5 keeps it: the number of chunks (from the planner's statistics once
 * the table has been analysed) and their average length (in bytes), from a fixed sample of its pages when the
 * table is large (the same sample every time, so rankings do not flicker). Cached per process for a minute.
 */
function postgresStats(db: Kysely<any>): Promise<TableStats> {
  const cached = statsCache.get(db);
  if (cached && Date.now() - cached.at < STATS_TTL_MS) return cached.stats;
  const stats = readPostgresStats(db);
  statsCache.set(db, { at: Date.now(), stats });
  stats.catch(() => statsCache.delete(db));
  return stats;
}

async function readPostgresStats(db: Kysely<any>): Promise<TableStats> {
  const { rows } = await sql<{ n: number }>`select reltuples as n from pg_class where oid = to_regclass('search_chunks')`.execute(db);
  const estimate = Number(rows[0]?.n ?? 0);
  const percent = estimate > LENGTH_SAMPLE ? (100 * LENGTH_SAMPLE) / estimate : 100;
  const sample = percent < 100 ? sql`tablesample system (${sql.lit(percent)}) repeatable (0)` : sql``;
  const stats = await sql<{ n: number; len: number | null }>`select count(*) as n, avg(octet_length(text)) as len from search_chunks ${sample}`.execute(db);
  const row = stats.rows[0];
  return { rows: percent < 100 ? estimate : Number(row?.n ?? 0), avgLength: Number(row?.len ?? 0) || 1 };
}

/**
 * When only common terms are searched, the chunks matching them are cut to this many per result wanted (best
 * by cover density) before BM25 scores them; rarer terms match few enough chunks to score them all.
 */
const COMMON_CANDIDATES_PER_RESULT = 10;

/**
 * Postgres full-text search on the stored tsvector (GIN index), scored with the same BM25 as SQLite: ts_rank is
 * not BM25 (it neither weighs rare terms up nor saturates repeats the same way), so the matching chunks are
 * scored with each term's idf, its frequency (positions in the tsvector) and the chunk's length relative to the
 * average. Only the query's lexemes are unnested (marked with weight A, then filtered): unnesting whole tsvectors
 * costs twice as much as ts_rank_cd.
 */
export const tsvectorSearch: LexicalSearch = async (db, project, query, language = 'english') => {
  if (query.terms.length === 0 || query.vectorStoreIds.length === 0) return [];
  const config = textSearchConfig(language);
  const terms = await selectiveTerms(db, query.terms, tsvectorProbe(language));
  const stats = await postgresStats(db);
  const idfs = terms.map((t) => idf(stats.rows, t.chunks));
  const common = terms.every((t) => t.chunks >= COMMON_TERM_CHUNKS);
  const cut = common ? sql`order by ts_rank_cd(c.tsv, q, 1) desc limit ${query.limit * COMMON_CANDIDATES_PER_RESULT}` : sql``;
  const files = query.fileIds ? sql`and c.file_id = any(${query.fileIds}::text[])` : sql``;
  const rows = await firstEnough(matchQueries(terms, (t) => t, ' & ', ' | '), query.limit, async (match) => {
    const result = await sql<HitRow>`
    with terms as (
      select (tsvector_to_array(to_tsvector(${config}, t.word)))[1] as lexeme, t.idf
      from unnest(${terms.map((t) => t.term)}::text[], ${idfs}::float8[]) as t(word, idf)
    ), lexemes as (select array_agg(lexeme) as list from terms where lexeme is not null
    ), candidates as (
      select c.seq, c.vector_store_id, c.file_id, c.chunk_index, c.tsv, octet_length(c.text)::float8 as len
      from search_chunks c, to_tsquery(${config}, ${match}) q
      where c.tsv @@ q and c.project = ${project} and c.vector_store_id = any(${query.vectorStoreIds}::text[]) ${files}
      ${cut}
    ), sized as (select *, len / ${stats.avgLength}::float8 as rel from candidates)
    select s.seq, s.vector_store_id, s.file_id, s.chunk_index,
      (select coalesce(sum(t.idf * u.tf * ${sql.lit(K1 + 1)} / (u.tf + ${sql.lit(K1)} * (1 - ${sql.lit(B)} + ${sql.lit(B)} * s.rel))), 0)
       from (select lexeme, coalesce(array_length(positions, 1), 1)::float8 as tf
             from unnest(ts_filter(setweight(s.tsv, 'A', l.list), '{a}'))) u join terms t using (lexeme)) as score
    from sized s, lexemes l order by score desc, s.seq limit ${query.limit}`.execute(db);
    return result.rows;
  });
  const ideal = idealScore(terms, stats.rows);
  return rows.map((r) => ({ ...toHit(r), score: normalized(Number(r.score), ideal) }));
};
