import { sql, type Kysely } from 'kysely';
import { fts5Search, tsvectorSearch, type LexicalHit, type LexicalQuery } from './lexical-search.js';
import type { Database } from './schema.js';
import type { SearchLanguage } from './search-language.js';
import { syncSearchLanguage } from './search-language-sync.js';

export type { LexicalHit, LexicalQuery } from './lexical-search.js';

/** A vector store file as the search index knows it. */
export interface ChunkFile {
  fileId: string;
  filename: string;
  attributes: Record<string, string | number | boolean>;
}

/** One chunk to store; the embedding is kept as float32 bytes. */
export interface ChunkInput {
  index: number;
  text: string;
  embedding: Float32Array | null;
}

/** A store's change counters: `version` grows on every change, `removals` on every change that deletes chunks. */
export interface StoreVersion {
  version: number;
  removals: number;
}

export interface VersionedChunkFile extends ChunkFile {
  version: number;
}

/** A chunk's embedding as stored: little-endian float32 bytes. */
export interface ChunkVectorRow {
  seq: number;
  fileId: string;
  chunkIndex: number;
  embedding: Uint8Array;
}

/**
 * The file_search index's storage: chunk text, embeddings and the files' attributes, per vector store. Readers
 * that cache a store compare its {@link StoreVersion} and load only rows with a newer version.
 */
/** A chunk whose vector is missing or comes from another model than the current one. */
export interface StaleChunk {
  seq: number;
  text: string;
}

export interface ChunksRepo {
  /** Replaces the file's chunks (and its name and attributes) in the store; `embeddingModel` made their vectors. */
  putFile(project: string, vectorStoreId: string, file: ChunkFile, chunks: ChunkInput[], embeddingModel: string | null): Promise<void>;
  /** False when the file is not in the index. */
  setAttributes(project: string, vectorStoreId: string, fileId: string, attributes: ChunkFile['attributes']): Promise<boolean>;
  removeFile(project: string, vectorStoreId: string, fileId: string): Promise<boolean>;
  removeStore(project: string, vectorStoreId: string): Promise<void>;
  fileChunks(project: string, vectorStoreId: string, fileId: string): Promise<string[]>;
  /** Counters of the stores that have anything indexed; others are missing from the map. */
  versions(project: string, vectorStoreIds: string[]): Promise<Map<string, StoreVersion>>;
  /** Files written with afterVersion < version <= upToVersion. */
  filesBetween(project: string, vectorStoreId: string, afterVersion: number, upToVersion: number): Promise<VersionedChunkFile[]>;
  /** How many chunks were written with afterVersion < version <= upToVersion (to size a copy of their vectors). */
  chunksBetween(project: string, vectorStoreId: string, afterVersion: number, upToVersion: number): Promise<number>;
  /** Chunks embedded by `embeddingModel` written with afterVersion < version <= upToVersion. */
  vectorsBetween(project: string, vectorStoreId: string, afterVersion: number, upToVersion: number, embeddingModel: string): Promise<ChunkVectorRow[]>;
  /** Stores with a chunk that has no vector from `embeddingModel` (or not yet known to have none). */
  staleStores(embeddingModel: string, limit: number): Promise<Array<{ project: string; vectorStoreId: string }>>;
  /** The store's chunks after `afterSeq`, in seq order, whose vector is missing or from another model. */
  staleChunks(project: string, vectorStoreId: string, embeddingModel: string, afterSeq: number, limit: number): Promise<StaleChunk[]>;
  /** Gives chunks vectors from `embeddingModel` (chunks removed meanwhile are skipped); returns the store's new version. */
  setEmbeddings(project: string, vectorStoreId: string, embeddingModel: string, rows: Array<{ seq: number; embedding: Float32Array }>): Promise<number>;
  /** Records that every vector of the store comes from `embeddingModel`, iff the store is still at `version`. */
  markEmbedded(project: string, vectorStoreId: string, embeddingModel: string, version: number): Promise<boolean>;
  /** Full-text candidates, best first. */
  lexical(project: string, query: LexicalQuery): Promise<LexicalHit[]>;
  /** The language the lexical index is searched in (see {@link SearchLanguage}). */
  readonly language: SearchLanguage;
  /**
   * Rebuilds the lexical index when it was built for another language, calling `starting` first; returns that
   * language (`unknown` when its definition is not one this version writes), or undefined when it matched.
   */
  syncLanguage(starting?: (from: SearchLanguage | 'unknown') => void): Promise<SearchLanguage | 'unknown' | undefined>;
  texts(project: string, seqs: number[]): Promise<Map<number, string>>;
}

// Rows per INSERT: well under SQLite's 32,766 bound parameters at 8 columns a row, and few enough that one
// INSERT (full-text indexing included: ~10 ms for 100 chunks of a large file on SQLite, where it blocks the event
// loop) is short; a large file's write lets the event loop turn between them (see putFile).
const INSERT_BATCH = 100;

/** The repository over one Kysely handle; `fullText` picks the dialect's full-text engine, `language` its stemming. */
export function createChunksRepo(db: Kysely<Database>, fullText: 'fts5' | 'tsvector', language: SearchLanguage = 'english'): ChunksRepo {
  const lexicalSearch = fullText === 'fts5' ? fts5Search : tsvectorSearch;
  const inTransaction = <T>(fn: (tx: Kysely<Database>) => Promise<T>) => (db.isTransaction ? fn(db) : db.transaction().execute(fn));

  /**
   * Bumps the store's counters and returns the new version. The row lock orders versions by commit on Postgres.
   * `embedded` is given when chunks are written: the model that embedded all of them, or null when some have no
   * vector; the store keeps its model only when the new chunks come from the same one.
   */
  async function bump(tx: Kysely<Database>, project: string, vectorStoreId: string, removed: boolean, embedded?: string | null): Promise<number> {
    const row = await tx
      .insertInto('search_stores')
      .values({ vector_store_id: vectorStoreId, project, version: 1, removals: removed ? 1 : 0, embedding_model: embedded ?? null })
      .onConflict((oc) =>
        oc.column('vector_store_id').doUpdateSet((eb) => ({
          version: eb('search_stores.version', '+', 1),
          removals: eb('search_stores.removals', '+', removed ? 1 : 0),
          ...(embedded === undefined ? {} : { embedding_model: embedded === null ? null : sql<string | null>`case when search_stores.embedding_model = ${embedded} then ${embedded} else null end` }),
        })),
      )
      .returning('version')
      .executeTakeFirstOrThrow();
    return Number(row.version);
  }

  async function deleteChunks(tx: Kysely<Database>, project: string, vectorStoreId: string, fileId: string): Promise<boolean> {
    const result = await tx
      .deleteFrom('search_chunks')
      .where('vector_store_id', '=', vectorStoreId)
      .where('file_id', '=', fileId)
      .where('project', '=', project)
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  return {
    async putFile(project, vectorStoreId, file, chunks, embeddingModel) {
      const embedded = embeddingModel !== null && chunks.every((c) => c.embedding) ? embeddingModel : null;
      await inTransaction(async (tx) => {
        const removed = await deleteChunks(tx, project, vectorStoreId, file.fileId);
        const version = await bump(tx, project, vectorStoreId, removed, embedded);
        const fileRow = { filename: file.filename, attributes: JSON.stringify(file.attributes), version };
        await tx
          .insertInto('search_files')
          .values({ vector_store_id: vectorStoreId, file_id: file.fileId, project, ...fileRow })
          .onConflict((oc) => oc.columns(['vector_store_id', 'file_id']).doUpdateSet(fileRow))
          .execute();
        for (let i = 0; i < chunks.length; i += INSERT_BATCH) {
          // Requests and runs go on between the INSERTs of a large file (their writes wait for this one's end).
          if (i > 0) await new Promise<void>((resolve) => setImmediate(resolve));
          const rows = chunks.slice(i, i + INSERT_BATCH).map((c) => ({
            project,
            vector_store_id: vectorStoreId,
            file_id: file.fileId,
            chunk_index: c.index,
            version,
            text: c.text,
            embedding: c.embedding ? floatBytes(c.embedding) : null,
            embedding_model: c.embedding ? embeddingModel : null,
          }));
          await tx.insertInto('search_chunks').values(rows).execute();
        }
      });
    },

    async setAttributes(project, vectorStoreId, fileId, attributes) {
      return inTransaction(async (tx) => {
        const exists = await tx
          .selectFrom('search_files')
          .select('file_id')
          .where('vector_store_id', '=', vectorStoreId)
          .where('file_id', '=', fileId)
          .where('project', '=', project)
          .executeTakeFirst();
        if (!exists) return false;
        const version = await bump(tx, project, vectorStoreId, false);
        await tx
          .updateTable('search_files')
          .set({ attributes: JSON.stringify(attributes), version })
          .where('vector_store_id', '=', vectorStoreId)
          .where('file_id', '=', fileId)
          .execute();
        return true;
      });
    },

    async removeFile(project, vectorStoreId, fileId) {
      return inTransaction(async (tx) => {
        const removed = await deleteChunks(tx, project, vectorStoreId, fileId);
        const file = await tx
          .deleteFrom('search_files')
          .where('vector_store_id', '=', vectorStoreId)
          .where('file_id', '=', fileId)
          .where('project', '=', project)
          .executeTakeFirst();
        const any = removed || Number(file.numDeletedRows) > 0;
        if (any) await bump(tx, project, vectorStoreId, true);
        return any;
      });
    },

    async removeStore(project, vectorStoreId) {
      await inTransaction(async (tx) => {
        for (const table of ['search_chunks', 'search_files', 'search_stores'] as const) {
          await tx.deleteFrom(table).where('vector_store_id', '=', vectorStoreId).where('project', '=', project).execute();
        }
      });
    },

    async fileChunks(project, vectorStoreId, fileId) {
      const rows = await db
        .selectFrom('search_chunks')
        .select('text')
        .where('vector_store_id', '=', vectorStoreId)
        .where('file_id', '=', fileId)
        .where('project', '=', project)
        .orderBy('chunk_index')
        .execute();
      return rows.map((r) => r.text);
    },

    async versions(project, vectorStoreIds) {
      if (vectorStoreIds.length === 0) return new Map();
      const rows = await db
        .selectFrom('search_stores')
        .select(['vector_store_id', 'version', 'removals'])
        .where('vector_store_id', 'in', vectorStoreIds)
        .where('project', '=', project)
        .execute();
      return new Map(rows.map((r) => [r.vector_store_id, { version: Number(r.version), removals: Number(r.removals) }]));
    },

    async filesBetween(project, vectorStoreId, afterVersion, upToVersion) {
      const rows = await db
        .selectFrom('search_files')
        .select(['file_id', 'filename', 'attributes', 'version'])
        .where('vector_store_id', '=', vectorStoreId)
        .where('version', '>', afterVersion)
        .where('version', '<=', upToVersion)
        .where('project', '=', project)
        .execute();
      return rows.map((r) => ({ fileId: r.file_id, filename: r.filename, attributes: JSON.parse(r.attributes), version: Number(r.version) }));
    },

    async chunksBetween(project, vectorStoreId, afterVersion, upToVersion) {
      const row = await db
        .selectFrom('search_chunks')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('vector_store_id', '=', vectorStoreId)
        .where('version', '>', afterVersion)
        .where('version', '<=', upToVersion)
        .where('project', '=', project)
        .executeTakeFirst();
      return Number(row?.n ?? 0);
    },

    async vectorsBetween(project, vectorStoreId, afterVersion, upToVersion, embeddingModel) {
      const rows = await db
        .selectFrom('search_chunks')
        .select(['seq', 'file_id', 'chunk_index', 'embedding'])
        .where('vector_store_id', '=', vectorStoreId)
        .where('version', '>', afterVersion)
        .where('version', '<=', upToVersion)
        .where('embedding_model', '=', embeddingModel)
        .where('embedding', 'is not', null)
        .where('project', '=', project)
        .execute();
      return rows.map((r) => ({ seq: Number(r.seq), fileId: r.file_id, chunkIndex: r.chunk_index, embedding: r.embedding! }));
    },

    async staleStores(embeddingModel, limit) {
      const rows = await db
        .selectFrom('search_stores')
        .select(['project', 'vector_store_id'])
        .where((eb) => eb.or([eb('embedding_model', 'is', null), eb('embedding_model', '!=', embeddingModel)]))
        .orderBy('vector_store_id')
        .limit(limit)
        .execute();
      return rows.map((r) => ({ project: r.project, vectorStoreId: r.vector_store_id }));
    },

    async staleChunks(project, vectorStoreId, embeddingModel, afterSeq, limit) {
      const rows = await db
        .selectFrom('search_chunks')
        .select(['seq', 'text'])
        .where('vector_store_id', '=', vectorStoreId)
        .where('seq', '>', afterSeq)
        .where((eb) => eb.or([eb('embedding_model', 'is', null), eb('embedding_model', '!=', embeddingModel)]))
        .where('project', '=', project)
        .orderBy('seq')
        .limit(limit)
        .execute();
      return rows.map((r) => ({ seq: Number(r.seq), text: r.text }));
    },

    async setEmbeddings(project, vectorStoreId, embeddingModel, rows) {
      return inTransaction(async (tx) => {
        const version = await bump(tx, project, vectorStoreId, false);
        for (const r of rows) {
          await tx
            .updateTable('search_chunks')
            .set({ embedding: floatBytes(r.embedding), embedding_model: embeddingModel, version })
            .where('seq', '=', r.seq)
            .where('vector_store_id', '=', vectorStoreId)
            .where('project', '=', project)
            .execute();
        }
        return version;
      });
    },

    async markEmbedded(project, vectorStoreId, embeddingModel, version) {
      const result = await db
        .updateTable('search_stores')
        .set({ embedding_model: embeddingModel })
        .where('vector_store_id', '=', vectorStoreId)
        .where('version', '=', version)
        .where('project', '=', project)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },

    lexical: (project, query) => lexicalSearch(db, project, query, language),
    language,
    syncLanguage: (starting) => syncSearchLanguage(db, fullText, language, starting),

    async texts(project, seqs) {
      if (seqs.length === 0) return new Map();
      const rows = await db.selectFrom('search_chunks').select(['seq', 'text']).where('seq', 'in', seqs).where('project', '=', project).execute();
      return new Map(rows.map((r) => [Number(r.seq), r.text]));
    },
  };
}

function floatBytes(v: Float32Array): Buffer {
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}
