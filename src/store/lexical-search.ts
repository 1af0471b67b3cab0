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

/** SQLite FTS5, ranked by BM25 (FTS5 reports it negated: lower is better). */
export const fts5Search: LexicalSearch = async (db, project, query) => {
  if (query.terms.length === 0 || query.vectorStoreIds.length === 0) return [];
  // Each term is quoted so FTS5 reads it as a word, never as an operator or a column name.
  const match = query.terms.map((t) => `"${t.replace(/"/g, '""')}"`).join(' OR ');
  const files = query.fileIds ? sql`and c.file_id in (select value from json_each(${JSON.stringify(query.fileIds)}))` : sql``;
  const { rows } = await sql<HitRow>`
    select c.seq, c.vector_store_id, c.file_id, c.chunk_index, -bm25(search_chunks_fts) as score
    from search_chunks_fts join search_chunks c on c.seq = search_chunks_fts.rowid
    where search_chunks_fts match ${match} and c.project = ${project}
      and c.vector_store_id in (select value from json_each(${JSON.stringify(query.vectorStoreIds)})) ${files}
    order by score desc limit ${query.limit}`.execute(db);
  return rows.map(toHit);
};

/** Postgres full-text search on the stored tsvector (GIN index), ranked by cover density. */
export const tsvectorSearch: LexicalSearch = async (db, project, query) => {
  if (query.terms.length === 0 || query.vectorStoreIds.length === 0) return [];
  const files = query.fileIds ? sql`and c.file_id = any(${query.fileIds}::text[])` : sql``;
  // Normalisation 1 divides by 1 + log(length), so a long chunk does not win by repeating a common word.
  const { rows } = await sql<HitRow>`
    select c.seq, c.vector_store_id, c.file_id, c.chunk_index, ts_rank_cd(c.tsv, q, 1) as score
    from search_chunks c, to_tsquery('english', ${query.terms.join(' | ')}) q
    where c.tsv @@ q and c.project = ${project} and c.vector_store_id = any(${query.vectorStoreIds}::text[]) ${files}
    order by score desc limit ${query.limit}`.execute(db);
  return rows.map(toHit);
};
