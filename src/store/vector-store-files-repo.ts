import { sql, type Kysely } from 'kysely';
import { BadRequestError } from '../domain/errors.js';
import type { FileCounts, VectorStoreAttributes, VectorStoreFile, VectorStoreFileError } from '../domain/types.js';
import type { Page, PageQuery, StoreCapabilities } from './store.js';

type FileStatus = VectorStoreFile['status'];

/** A file's membership in a vector store as added; ingestion state starts as `in_progress`. */
export interface NewVectorStoreFile {
  file: VectorStoreFile;
  batchId: string | null;
  /** Identifies this ingestion attempt: re-adding the file makes a new one and orphans the old attempt's result. */
  job: string;
}

/** A file the ingestion pipeline holds: which attempt it is and what to ingest. */
export interface ClaimedVectorStoreFile {
  project: string;
  vectorStoreId: string;
  fileId: string;
  job: string;
  file: VectorStoreFile;
}

export type IngestOutcome = { status: 'completed'; usageBytes: number } | { status: 'failed'; error: VectorStoreFileError };

/** Counts by status plus the bytes of completed files, for one vector store (or one batch). */
export interface VectorStoreUsage extends FileCounts {
  usage_bytes: number;
}

/**
 * The files of vector stores. The mutable parts (status, usage, error) are columns updated in single statements,
 * so concurrent completions never overwrite each other; counts are aggregates over those columns, never stored
 * totals that could drift. Pagination is keyset over (created_at, file_id) within a store.
 */
export interface VectorStoreFilesRepo {
  /** Adds files or restarts their ingestion when already present (attributes and chunking are replaced). */
  upsert(project: string, files: NewVectorStoreFile[]): Promise<void>;
  get(project: string, vectorStoreId: string, fileId: string): Promise<VectorStoreFile | undefined>;
  list(project: string, vectorStoreId: string, page: PageQuery, filter?: { status?: FileStatus; batchId?: string }): Promise<Page<VectorStoreFile>>;
  /** The ids of a store's files (all statuses), for syncing a v1 file list. */
  fileIds(project: string, vectorStoreId: string): Promise<string[]>;
  /** The ids of the stores that hold the file (in any status), for removing a deleted file from all of them. */
  storesOf(project: string, fileId: string): Promise<string[]>;
  setAttributes(project: string, vectorStoreId: string, fileId: string, attributes: VectorStoreAttributes): Promise<boolean>;
  delete(project: string, vectorStoreId: string, fileId: string): Promise<boolean>;
  deleteStore(project: string, vectorStoreId: string): Promise<number>;
  usage(project: string, vectorStoreIds: string[]): Promise<Map<string, VectorStoreUsage>>;
  batchUsage(project: string, batchId: string): Promise<VectorStoreUsage>;
  /** Stops the batch's files that are still in progress; returns their ids. */
  cancelBatch(project: string, batchId: string): Promise<Array<{ vectorStoreId: string; fileId: string }>>;
  /** Claims up to `limit` in-progress files whose lease is free or lapsed, oldest first, until `leaseUntil` (ms). */
  claim(now: number, leaseUntil: number, limit: number): Promise<ClaimedVectorStoreFile[]>;
  renew(claims: ClaimedVectorStoreFile[], leaseUntil: number): Promise<void>;
  /** Files in progress across all projects: the ingestion queue's depth, claimed or not. */
  queued(): Promise<number>;
  /** Frees the lease so the file is picked up again at once (shutdown). */
  release(claim: ClaimedVectorStoreFile): Promise<void>;
  /** Records the outcome iff the file is still in progress on this attempt; false when it was removed, re-added or cancelled. */
  finish(claim: ClaimedVectorStoreFile, outcome: IngestOutcome): Promise<boolean>;
}

const EMPTY: VectorStoreUsage = { in_progress: 0, completed: 0, failed: 0, cancelled: 0, total: 0, usage_bytes: 0 };

interface Row {
  file_id: string;
  created_at: number;
  status: string;
  usage_bytes: number;
  last_error: string | null;
  data: string;
}

// Rows per INSERT: well under SQLite's bound-parameter limit (11 columns each).
const UPSERT_ROWS = 200;
// What re-adding a file resets; project, store, file id and membership time stay.
const RESTARTED = ['created_at', 'batch_id', 'status', 'usage_bytes', 'last_error', 'job', 'lease_until', 'data'];

const ROW = ['file_id', 'created_at', 'status', 'usage_bytes', 'last_error', 'data'] as const;

function toFile(row: Row): VectorStoreFile {
  const base = JSON.parse(row.data) as VectorStoreFile;
  return {
    ...base,
    usage_bytes: Number(row.usage_bytes),
    status: row.status as FileStatus,
    last_error: row.last_error ? (JSON.parse(row.last_error) as VectorStoreFileError) : null,
  };
}

function addCount(usage: VectorStoreUsage, status: string, n: number, bytes: number): void {
  if (status === 'in_progress' || status === 'completed' || status === 'failed' || status === 'cancelled') usage[status] += n;
  usage.total += n;
  usage.usage_bytes += bytes;
}

export function createVectorStoreFilesRepo(db: Kysely<any>, capabilities: StoreCapabilities): VectorStoreFilesRepo {
  const table = 'vector_store_files';
  const where = (project: string, vectorStoreId: string, fileId: string) =>
    db.selectFrom(table).where('vector_store_id', '=', vectorStoreId).where('file_id', '=', fileId).where('project', '=', project);

  return {
    async upsert(project, files) {
      for (let start = 0; start < files.length; start += UPSERT_ROWS) {
        const rows = files.slice(start, start + UPSERT_ROWS).map(({ file, batchId, job }) => ({
          project,
          vector_store_id: file.vector_store_id,
          file_id: file.id,
          batch_id: batchId,
          created_at: file.created_at,
          status: 'in_progress',
          usage_bytes: 0,
          last_error: null,
          job,
          lease_until: null,
          data: JSON.stringify(file),
        }));
        await db
          .insertInto(table)
          .values(rows)
          .onConflict((oc) =>
            oc.columns(['vector_store_id', 'file_id']).doUpdateSet((eb) => {
              const set: Record<string, unknown> = {};
              for (const column of RESTARTED) set[column] = eb.ref(`excluded.${column}`);
              return set;
            }),
          )
          .execute();
      }
    },

    async get(project, vectorStoreId, fileId) {
      const row = await where(project, vectorStoreId, fileId).select(ROW).executeTakeFirst();
      return row ? toFile(row as Row) : undefined;
    },

    async list(project, vectorStoreId, page, filter = {}) {
      const backwards = page.before !== undefined && page.after === undefined;
      const descending = (page.order === 'desc') !== backwards;
      let query = db.selectFrom(table).select(ROW).where('vector_store_id', '=', vectorStoreId).where('project', '=', project);
      if (filter.status) query = query.where('status', '=', filter.status);
      if (filter.batchId) query = query.where('batch_id', '=', filter.batchId);
      for (const param of ['after', 'before'] as const) {
        const id = page[param];
        if (id === undefined) continue;
        const c = await where(project, vectorStoreId, id).select(['created_at', 'file_id']).executeTakeFirst();
        if (!c) throw new BadRequestError(`Invalid '${param}': no object with id '${id}' in this list.`, param);
        const op = (param === 'after') === (page.order === 'desc') ? '<' : '>';
        query = query.where((eb) => eb(eb.refTuple('created_at', 'file_id'), op, eb.tuple(c.created_at, c.file_id)));
      }
      const direction = descending ? 'desc' : 'asc';
      const rows = (await query.orderBy('created_at', direction).orderBy('file_id', direction).limit(page.limit + 1).execute()) as Row[];
      const data = rows.slice(0, page.limit).map(toFile);
      if (backwards) data.reverse();
      return { data, has_more: rows.length > page.limit };
    },

    async fileIds(project, vectorStoreId) {
      const rows = await db.selectFrom(table).select('file_id').where('vector_store_id', '=', vectorStoreId).where('project', '=', project).orderBy('created_at').execute();
      return rows.map((r) => r.file_id as string);
    },

    async storesOf(project, fileId) {
      const rows = await db.selectFrom(table).select('vector_store_id').where('file_id', '=', fileId).where('project', '=', project).orderBy('vector_store_id').execute();
      return rows.map((r) => r.vector_store_id as string);
    },

    async setAttributes(project, vectorStoreId, fileId, attributes) {
      const row = await where(project, vectorStoreId, fileId).select('data').executeTakeFirst();
      if (!row) return false;
      const data = JSON.stringify({ ...JSON.parse(row.data as string), attributes });
      const result = await db.updateTable(table).set({ data }).where('vector_store_id', '=', vectorStoreId).where('file_id', '=', fileId).where('project', '=', project).executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },

    async delete(project, vectorStoreId, fileId) {
      const result = await db.deleteFrom(table).where('vector_store_id', '=', vectorStoreId).where('file_id', '=', fileId).where('project', '=', project).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    },

    async deleteStore(project, vectorStoreId) {
      const result = await db.deleteFrom(table).where('vector_store_id', '=', vectorStoreId).where('project', '=', project).executeTakeFirst();
      return Number(result.numDeletedRows);
    },

    async usage(project, vectorStoreIds) {
      const out = new Map<string, VectorStoreUsage>(vectorStoreIds.map((id) => [id, { ...EMPTY }]));
      if (vectorStoreIds.length === 0) return out;
      const rows = await db
        .selectFrom(table)
        .select((eb) => ['vector_store_id', 'status', eb.fn.countAll().as('n'), eb.fn.sum('usage_bytes').as('bytes')])
        .where('vector_store_id', 'in', vectorStoreIds)
        .where('project', '=', project)
        .groupBy(['vector_store_id', 'status'])
        .execute();
      for (const r of rows) addCount(out.get(r.vector_store_id as string)!, r.status as string, Number(r.n), Number(r.bytes ?? 0));
      return out;
    },

    async batchUsage(project, batchId) {
      const usage = { ...EMPTY };
      const rows = await db
        .selectFrom(table)
        .select((eb) => ['status', eb.fn.countAll().as('n'), eb.fn.sum('usage_bytes').as('bytes')])
        .where('batch_id', '=', batchId)
        .where('project', '=', project)
        .groupBy('status')
        .execute();
      for (const r of rows) addCount(usage, r.status as string, Number(r.n), Number(r.bytes ?? 0));
      return usage;
    },

    async cancelBatch(project, batchId) {
      const rows = await db
        .updateTable(table)
        .set({ status: 'cancelled', lease_until: null })
        .where('batch_id', '=', batchId)
        .where('status', '=', 'in_progress')
        .where('project', '=', project)
        .returning(['vector_store_id', 'file_id'])
        .execute();
      return rows.map((r: any) => ({ vectorStoreId: r.vector_store_id as string, fileId: r.file_id as string }));
    },

    async claim(now, leaseUntil, limit) {
      // A literal status, so both planners match the partial index of queued files (vector_store_files_queue) and
      // read only the rows they take: the cost of a claim does not grow with the queue.
      let pick = db
        .selectFrom(table)
        .select(['vector_store_id', 'file_id'])
        .where('status', '=', sql.lit('in_progress'))
        .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now)]))
        .orderBy('created_at')
        .limit(limit);
      if (capabilities.skipLocked) pick = pick.forUpdate().skipLocked();
      const rows = await db
        .updateTable(table)
        .set({ lease_until: leaseUntil })
        .where((eb) => eb(eb.refTuple('vector_store_id', 'file_id'), 'in', pick))
        // Re-checked on the row being updated, so of two concurrent claimers only the first to commit wins.
        .where('status', '=', 'in_progress')
        .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now)]))
        .returning(['project', 'vector_store_id', 'file_id', 'job', ...ROW])
        .execute();
      return rows.map((r: any) => ({ project: r.project, vectorStoreId: r.vector_store_id, fileId: r.file_id, job: r.job, file: toFile(r) }));
    },

    async queued() {
      // The literal status lets the planners count the partial index of queued files alone.
      const row = await db.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).where('status', '=', sql.lit('in_progress')).executeTakeFirst();
      return Number(row?.n ?? 0);
    },

    async renew(claims, leaseUntil) {
      for (const c of claims) {
        await db.updateTable(table).set({ lease_until: leaseUntil }).where('vector_store_id', '=', c.vectorStoreId).where('file_id', '=', c.fileId).where('job', '=', c.job).where('status', '=', 'in_progress').execute();
      }
    },

    async release(c) {
      await db.updateTable(table).set({ lease_until: null }).where('vector_store_id', '=', c.vectorStoreId).where('file_id', '=', c.fileId).where('job', '=', c.job).execute();
    },

    async finish(c, outcome) {
      const result = await db
        .updateTable(table)
        .set({
          status: outcome.status,
          usage_bytes: outcome.status === 'completed' ? outcome.usageBytes : 0,
          last_error: outcome.status === 'failed' ? JSON.stringify(outcome.error) : null,
          lease_until: null,
        })
        .where('vector_store_id', '=', c.vectorStoreId)
        .where('file_id', '=', c.fileId)
        .where('job', '=', c.job)
        .where('status', '=', 'in_progress')
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },
  };
}
