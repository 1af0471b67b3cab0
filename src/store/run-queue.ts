import { sql, type Kysely } from 'kysely';
import { ACTIVE_RUN_STATUSES as ACTIVE_STATUSES, WORK_RUN_STATUSES as WORK_STATUSES } from '../domain/run-status.js';
import type { Run } from '../domain/types.js';
import { runCompiled } from './compiled-statements.js';
import { failedCast, failingCast } from './failing-cast.js';
import type { StoreCapabilities } from './store.js';

/** A run a worker now holds; `resumed` when a previous holder's lease lapsed (it crashed or stalled). */
export interface ClaimedRun {
  project: string;
  id: string;
  resumed: boolean;
}

/**
 * The work queue over the runs table: runs that need a worker (queued, in_progress, cancelling) are claimed
 * with a lease that the holder renews; a lapsed lease makes the run claimable again. Claims are single UPDATE
 * statements, so two workers never hold one run; Postgres skips rows another claimer has locked.
 */
export interface RunQueue {
  /**
   * Claims up to `limit` claimable runs for `owner` until `now + leaseMs`: the oldest first (queue order: created
   * at, then id, which sorts by creation), returned in that order.
   */
  claim(owner: string, now: number, leaseMs: number, options?: { limit?: number }): Promise<ClaimedRun[]>;
  /** The `created_at` of the oldest run `claim` would take now, if any (the worker weighs it against other work). */
  oldestClaimable(owner: string, now: number): Promise<number | undefined>;
  /** Writes `owner`'s lease on a run being queued in the caller's transaction (a handoff to a local worker). */
  hold(owner: string, runId: string, until: number): Promise<void>;
  /** Stores a new run (queued or in_progress) with `owner`'s lease on it: `runs.insert` and `hold` in one statement. */
  insertHeld(project: string, run: Run, owner: string, until: number): Promise<void>;
  /** Extends the leases `owner` holds on `runIds`; returns the ids still held (a lost lease means stop). */
  renew(owner: string, runIds: string[], now: number, leaseMs: number): Promise<string[]>;
  /** Gives the run up so another worker can take it at once (after a pause or when done). */
  release(owner: string, runId: string): Promise<void>;
  /** Active runs no worker holds whose `expires_at` has passed at `now` (unix ms), oldest first. */
  expired(now: number, limit: number): Promise<Array<{ project: string; id: string }>>;
  /** The active run holding a thread, if any (one indexed lookup). */
  activeRunId(project: string, threadId: string): Promise<string | undefined>;
  /**
   * Postgres: `activeRunId` as a check that needs no answer. Its statement is sent with the transaction's next
   * one, and fails the transaction when the thread has an active run (`activeRunOf` reads its id from the error).
   */
  refuseActiveRun?(project: string, threadId: string): Promise<void>;
}

const ACTIVE_MARK = 'assistd_active_run_';

/** The active run named by the failure of `refuseActiveRun`'s check, if `err` is one. */
export const activeRunOf = (err: unknown): string | undefined => failedCast(err, ACTIVE_MARK) || undefined;

/**
 * A run's columns. A run that leaves the statuses a worker drives (requires_action, or ended) gives up its lease
 * in the same write, so the worker need not write again to release it; otherwise the lease is left alone.
 */
export function runColumns(run: Run) {
  const columns = { thread_id: run.thread_id, status: run.status, expires_at: run.expires_at };
  return WORK_STATUSES.includes(run.status) ? columns : { ...columns, lease_owner: null, lease_until: null };
}

export function createRunQueue(db: Kysely<any>, capabilities: StoreCapabilities): RunQueue {
  /** Runs `owner` may claim at `now`, in queue order. */
  const claimable = (owner: string, now: number) =>
    db
      .selectFrom('runs')
      .where('status', 'in', WORK_STATUSES)
      .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now)]))
      // Runs of a thread whose code session lives on another replica are left to that one while it renews it.
      .$if(capabilities.skipLocked, (q) => q.where(({ not, exists, selectFrom }) => not(exists(selectFrom('thread_sessions as s').select('s.owner').whereRef('s.thread_id', '=', 'runs.thread_id').where('s.owner', '<>', owner).where('s.until', '>=', now)))))
      .orderBy('created_at')
      .orderBy('id');
  /** The thread's newest run (see activeRunId), as a subquery. */
  const newestRun = (project: string, threadId: string) =>
    db.selectFrom('runs').select(['id', 'status']).where('thread_id', '=', threadId).where('project', '=', project).orderBy('created_at', 'desc').orderBy('id', 'desc').limit(1);
  return {
    async oldestClaimable(owner, now) {
      const row = await claimable(owner, now).select('created_at').limit(1).executeTakeFirst();
      return row ? Number(row.created_at) : undefined;
    },
    async claim(owner, now, leaseMs, options = {}) {
      const oldest = claimable(owner, now).select('id').limit(options.limit ?? 16);
      const pick = capabilities.skipLocked ? oldest.forUpdate().skipLocked() : oldest;
      const rows = await db
        .updateTable('runs')
        // SET expressions read the row's old values: previous_owner records who held the lapsed lease, if anyone.
        .set({ previous_owner: sql`lease_owner`, lease_owner: owner, lease_until: now + leaseMs })
        .where('id', 'in', pick)
        // Re-checked on the row being updated, so a concurrent claimer that committed first wins cleanly.
        .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now)]))
        .returning(['project', 'id', 'previous_owner', 'created_at'])
        .execute();
      // UPDATE … RETURNING promises no order: started in queue order, they reach the model in it.
      rows.sort((a: any, b: any) => Number(a.created_at) - Number(b.created_at) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      return rows.map((r: any) => ({ project: r.project, id: r.id, resumed: r.previous_owner !== null }));
    },
    async hold(owner, runId, until) {
      // Every run kept by the process that queues it writes this: compiled once (compiled-statements.ts).
      await runCompiled(db, 'runs:hold', () => db.updateTable('runs').set({ previous_owner: null, lease_owner: owner, lease_until: until }).where('id', '=', runId), [null, owner, until, runId], { unread: true });
    },
    async insertHeld(project, run, owner, until) {
      if (!WORK_STATUSES.includes(run.status)) throw new Error(`run ${run.id}: a ${run.status} run is not held`);
      const row = { id: run.id, project, created_at: run.created_at, data: JSON.stringify(run), ...runColumns(run), lease_owner: owner, lease_until: until };
      await runCompiled(db, 'runs:insert-held', () => db.insertInto('runs').values(row), Object.values(row));
    },
    async renew(owner, runIds, now, leaseMs) {
      if (runIds.length === 0) return [];
      const rows = await db
        .updateTable('runs')
        .set({ lease_until: now + leaseMs })
        .where('id', 'in', runIds)
        .where('lease_owner', '=', owner)
        .returning('id')
        .execute();
      return rows.map((r: any) => r.id as string);
    },
    async release(owner, runId) {
      await db.updateTable('runs').set({ lease_owner: null, lease_until: null }).where('id', '=', runId).where('lease_owner', '=', owner).execute();
    },
    async expired(now, limit) {
      return db
        .selectFrom('runs')
        .select(['project', 'id'])
        .where('status', 'in', ACTIVE_STATUSES)
        .where('expires_at', '<', Math.floor(now / 1000))
        .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now)]))
        .orderBy('expires_at')
        .limit(limit)
        .execute();
    },
    async activeRunId(project, threadId) {
      // Only the newest run of a thread can be active (no run starts while another holds the thread), so one
      // step down the (thread_id, created_at, id) index answers it.
      const row = await newestRun(project, threadId).executeTakeFirst();
      return row && ACTIVE_STATUSES.includes(row.status) ? (row.id as string) : undefined;
    },
    ...(capabilities.skipLocked && {
      async refuseActiveRun(project, threadId) {
        // It fails naming the run (failing-cast.ts). The status is tested above the LIMIT, so it is the newest run's.
        const check = db
          .selectFrom(newestRun(project, threadId).as('newest'))
          .select(sql.raw<number>(failingCast(ACTIVE_MARK, '"id"')).as('active'))
          .where('status', 'in', ACTIVE_STATUSES);
        await runCompiled(db, 'runs:refuse-active', () => check, [threadId, project, 1, ...ACTIVE_STATUSES], { unread: true });
      },
    }),
  };
}
