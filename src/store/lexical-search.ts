import { sql, type Kysely } from 'kysely';

/** A full-text query over the chunks of some vector stores; `terms` are plain words (letters and digits only). */
export interface LexicalQuery {
  vectorStoreIds: string[];
  terms: string[];
  limit: number;
  /** Only chunks of these files (attribute filters are resolved to files before the query). */
  fileIds?: string[];
}

/** A chunk the full-text engine matched; `score` is the engine's own relevance, higher is better. */
export interface LexicalHit {
  seq: number;
  vectorStoreId: string;
  fileId: string;
  chunkIndex: number;
  score: number;
}

/** One dialect's full-text search over `search_chunks`; any chunk matching at least one term qualifies. */
export type LexicalSearch = (db: Kysely<any>, project: string, query: LexicalQuery) => Promise<LexicalHit[]>;

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
 * are present (the reranker still weighs every term of the query over the candidates).
 */
export const COMMON_TERM_CHUNKS = 1000;

/** Counts a term's chunks, stopping at `limit`. */
type TermProbe = (db: Kysely<any>, term: string, limit: number) => Promise<number>;

async function selectiveTerms(db: Kysely<any>, terms: string[], probe: TermProbe): Promise<string[]> {
  if (terms.length <= 1) return terms;
  const counts: number[] = [];
  for (const term of terms) counts.push(await probe(db, term, COMMON_TERM_CHUNKS));
  const rare = terms.filter((_, i) => counts[i]! < COMMON_TERM_CHUNKS);
  return rare.length > 0 ? rare : terms;
}

const quoteFts5 = (term: string) => `"${term.replace(/"/g, '""')}"`;

const fts5Probe: TermProbe = async (db, term, limit) => {
  const { rows } = await sql<{ n: number }>`
    select count(*) as n from (select rowid from search_chunks_fts where search_chunks_fts match ${quoteFts5(term)} limit ${limit})`.execute(db);
  return Number(rows[0]?.n ?? 0);
};

/** SQLite FTS5, ranked by BM25 (FTS5 reports it negated: lower is better). */
export const fts5Search: LexicalSearch = async (db, project, query) => {
  if (query.terms.length === 0 || query.vectorStoreIds.length === 0) return [];
  const terms = await selectiveTerms(db, query.terms, fts5Probe);
  // Each term is quoted so FTS5 reads it as a word, never as an operator or a column name.
  const match = terms.map(quoteFts5).join(' OR ');
  const files = query.fileIds ? sql`and c.file_id in (select value from json_each(${JSON.stringify(query.fileIds)}))` : sql``;
  const { rows } = await sql<HitRow>`
    select c.seq, c.vector_store_id, c.file_id, c.chunk_index, -bm25(search_chunks_fts) as score
    from search_chunks_fts join search_chunks c on c.seq = search_chunks_fts.rowid
    where search_chunks_fts match ${match} and c.project = ${project}
      and c.vector_store_id in (select value from json_each(${JSON.stringify(query.vectorStoreIds)})) ${files}
    order by score desc limit ${query.limit}`.execute(db);
  return rows.map(toHit);
};

const tsvectorProbe: TermProbe = async (db, term, limit) => {
  const { rows } = await sql<{ n: number }>`
    select count(*) as n from (select 1 from search_chunks where tsv @@ to_tsquery('english', ${term}) limit ${limit}) x`.execute(db);
  return Number(rows[0]?.n ?? 0);
};

/** Postgres full-text search on the stored tsvector (GIN index), ranked by cover density. */
export const tsvectorSearch: LexicalSearch = async (db, project, query) => {
  if (query.terms.length === 0 || query.vectorStoreIds.length === 0) return [];
  const terms = await selectiveTerms(db, query.terms, tsvectorProbe);
  const files = query.fileIds ? sql`and c.file_id = any(${query.fileIds}::text[])` : sql``;
  // Normalisation 1 divides by 1 + log(length), so a long chunk does not win by repeating a common word.
  const { rows } = await sql<HitRow>`
    select c.seq, c.vector_store_id, c.file_id, c.chunk_index, ts_rank_cd(c.tsv, q, 1) as score
    from search_chunks c, to_tsquery('english', ${terms.join(' | ')}) q
    where c.tsv @@ q and c.project = ${project} and c.vector_store_id = any(${query.vectorStoreIds}::text[]) ${files}
    order by score desc limit ${query.limit}`.execute(db);
  return rows.map(toHit);
};
