import { sql, type Kysely } from 'kysely';
import type { ResponseItem, ResponseObject } from '../domain/responses.js';
import type { StoreCapabilities } from './store.js';

/** A background response a worker now holds; `resumed` when a previous holder's lease lapsed (it died or stalled). */
export interface ClaimedResponse {
  project: string;
  id: string;
  resumed: boolean;
}

/** A background response as a worker runs it: the object, its input items and the job its create prepared. */
export interface ResponseWork {
  response: ResponseObject;
  input: ResponseItem[];
  job: unknown;
}

/**
 * Stored responses: the wire object, plus the input items the response was created with (its own, not its
 * chain's) and the columns a chain or a conversation is found by. Background responses are also a work queue,
 * leased like runs (see run-queue.ts): claimed oldest first, renewed by the holder, claimable again once a lease
 * lapses.
 */
export interface ResponsesRepo {
  /** `job`: what a worker needs to run a background response (its prepared model call). */
  insert(project: string, response: ResponseObject, input: ResponseItem[], job?: unknown): Promise<void>;
  get(project: string, id: string): Promise<ResponseObject | undefined>;
  /** The response's own input items in the order given, or undefined when there is no such response. */
  input(project: string, id: string): Promise<ResponseItem[] | undefined>;
  /** A background response with its job, or undefined when it is gone or has none. */
  work(project: string, id: string): Promise<ResponseWork | undefined>;
  /**
   * Replaces the stored object (status, output, usage) while it is still queued or in progress; false when it
   * no longer exists or has already ended (a cancel and the finishing writer race: the first one wins).
   */
  replace(project: string, response: ResponseObject): Promise<boolean>;
  /** Deletes the response and its event log. */
  delete(project: string, id: string): Promise<boolean>;
  /** Claims up to `limit` background responses that need a worker for `owner` until `now + leaseMs`, oldest first. */
  claim(owner: string, now: number, leaseMs: number, limit: number): Promise<ClaimedResponse[]>;
  /** The `created_at` of the oldest response `claim` would take now, if any (the worker weighs it against runs). */
  oldestClaimable(now: number): Promise<number | undefined>;
  /** Extends the leases `owner` holds on `ids`; returns the ids still held (a lost lease means stop). */
  renew(owner: string, ids: string[], now: number, leaseMs: number): Promise<string[]>;
  /** Gives the response up (it ended, or the worker stops). */
  release(owner: string, id: string): Promise<void>;
  /** The output item with this id of the project's latest response that has one (a scan: for rare lookups). */
  outputItem(project: string, itemId: string): Promise<ResponseItem | undefined>;
}

const WORK_STATUSES = ['queued', 'in_progress'];

function columns(response: ResponseObject) {
  return { data: JSON.stringify(response), status: response.status };
}

export function createResponsesRepo(db: Kysely<any>, capabilities: StoreCapabilities): ResponsesRepo {
  const row = (project: string, id: string) => db.selectFrom('responses').where('id', '=', id).where('project', '=', project);
  const lapsed = (now: number) => (eb: any) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now)]);
  /** Background responses a worker may claim at `now`, oldest first. */
  const claimable = (now: number) =>
    db.selectFrom('responses').where('status', 'in', WORK_STATUSES).where('job', 'is not', null).where(lapsed(now)).orderBy('created_at').orderBy('id');
  return {
    async insert(project, response, input, job) {
      await db
        .insertInto('responses')
        .values({
          id: response.id,
          project,
          created_at: response.created_at,
          input: JSON.stringify(input),
          previous_response_id: response.previous_response_id,
          conversation_id: response.conversation?.id ?? null,
          job: job === undefined ? null : JSON.stringify(job),
          ...columns(response),
        })
        .execute();
    },
    async get(project, id) {
      const found = await row(project, id).select('data').executeTakeFirst();
      return found ? (JSON.parse(found.data) as ResponseObject) : undefined;
    },
    async input(project, id) {
      const found = await row(project, id).select('input').executeTakeFirst();
      return found ? (JSON.parse(found.input) as ResponseItem[]) : undefined;
    },
    async work(project, id) {
      const found = await row(project, id).select(['data', 'input', 'job']).executeTakeFirst();
      if (!found?.job) return undefined;
      return { response: JSON.parse(found.data), input: JSON.parse(found.input), job: JSON.parse(found.job) };
    },
    async replace(project, response) {
      const result = await db
        .updateTable('responses')
        .set(columns(response))
        .where('id', '=', response.id)
        .where('project', '=', project)
        .where('status', 'in', WORK_STATUSES)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },
    async delete(project, id) {
      const result = await db.deleteFrom('responses').where('id', '=', id).where('project', '=', project).executeTakeFirst();
      await db.deleteFrom('run_events').where('run_id', '=', id).where('project', '=', project).execute();
      return Number(result.numDeletedRows) > 0;
    },
    async oldestClaimable(now) {
      const row = await claimable(now).select('created_at').limit(1).executeTakeFirst();
      return row ? Number(row.created_at) : undefined;
    },
    async claim(owner, now, leaseMs, limit) {
      const oldest = claimable(now).select('id').limit(limit);
      const pick = capabilities.skipLocked ? oldest.forUpdate().skipLocked() : oldest;
      const rows = await db
        .updateTable('responses')
        .set({ previous_owner: sql`lease_owner`, lease_owner: owner, lease_until: now + leaseMs })
        .where('id', 'in', pick)
        .where(lapsed(now))
        .returning(['project', 'id', 'previous_owner', 'created_at'])
        .execute();
      rows.sort((a: any, b: any) => Number(a.created_at) - Number(b.created_at) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      return rows.map((r: any) => ({ project: r.project, id: r.id, resumed: r.previous_owner !== null }));
    },
    async renew(owner, ids, now, leaseMs) {
      if (ids.length === 0) return [];
      const rows = await db.updateTable('responses').set({ lease_until: now + leaseMs }).where('id', 'in', ids).where('lease_owner', '=', owner).returning('id').execute();
      return rows.map((r: any) => r.id as string);
    },
    async release(owner, id) {
      await db.updateTable('responses').set({ lease_owner: null, lease_until: null }).where('id', '=', id).where('lease_owner', '=', owner).execute();
    },
    async outputItem(project, itemId) {
      // Ids are generated (letters, digits, `_`): anything else cannot be one and would need escaping in LIKE.
      if (!/^[A-Za-z0-9_-]+$/.test(itemId)) return undefined;
      const rows = await db.selectFrom('responses').select('data').where('project', '=', project).where('data', 'like', `%"id":"${itemId}"%`).orderBy('created_at', 'desc').limit(5).execute();
      for (const row of rows) {
        const found = (JSON.parse(row.data) as ResponseObject).output.find((item) => item.id === itemId);
        if (found) return found;
      }
      return undefined;
    },
  };
}
