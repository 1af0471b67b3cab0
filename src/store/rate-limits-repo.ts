import { sql, type Kysely } from 'kysely';
import { WORK_RUN_STATUSES } from '../domain/run-status.js';
import type { Database } from './schema.js';

/** What one scope used in one window. */
export interface WindowUsage {
  requests: number;
  tokens: number;
}

/**
 * Per-minute counters shared by every replica on the database, one row per scope and window; the counting is
 * a single upsert, so concurrent requests on different replicas cannot both take the last slot.
 */
export interface RateLimitsRepo {
  /** Counts one request unless `limit` is reached already; `allowed: false` counts nothing. */
  takeRequest(scope: string, windowStart: number, limit: number): Promise<WindowUsage & { allowed: boolean }>;
  usage(scope: string, windowStart: number): Promise<WindowUsage>;
  addTokens(scope: string, windowStart: number, tokens: number): Promise<void>;
  /** Runs of the project, or of the key, a worker still drives (queued, in progress, cancelling). */
  activeRuns(owner: { project: string } | { keyId: string }): Promise<number>;
  /**
   * Inside a transaction: waits for any other transaction holding `scope` (a row lock on Postgres; SQLite runs
   * one write transaction at a time already), so a count and the write that depends on it cannot interleave.
   */
  lock(scope: string): Promise<void>;
  /** Records the key that created a run. */
  setRunKey(runId: string, keyId: string): Promise<void>;
  /** The key that created a run, if recorded. */
  runKey(runId: string): Promise<string | undefined>;
  /** Drops windows that started before `before`. */
  prune(before: number): Promise<void>;
}

export function createRateLimitsRepo(db: Kysely<Database>): RateLimitsRepo {
  const usage = async (scope: string, windowStart: number): Promise<WindowUsage> => {
    const row = await db.selectFrom('rate_limit_windows').select(['requests', 'tokens']).where('scope', '=', scope).where('window_start', '=', windowStart).executeTakeFirst();
    return { requests: Number(row?.requests ?? 0), tokens: Number(row?.tokens ?? 0) };
  };
  return {
    async takeRequest(scope, windowStart, limit) {
      const row = await db
        .insertInto('rate_limit_windows')
        .values({ scope, window_start: windowStart, requests: 1, tokens: 0 })
        .onConflict((oc) => oc.columns(['scope', 'window_start']).doUpdateSet({ requests: sql`rate_limit_windows.requests + 1` }).where('rate_limit_windows.requests', '<', limit))
        .returning(['requests', 'tokens'])
        .executeTakeFirst();
      if (row) return { allowed: true, requests: Number(row.requests), tokens: Number(row.tokens) };
      return { allowed: false, ...(await usage(scope, windowStart)) };
    },
    usage,
    async addTokens(scope, windowStart, tokens) {
      await db
        .insertInto('rate_limit_windows')
        .values({ scope, window_start: windowStart, requests: 0, tokens })
        .onConflict((oc) => oc.columns(['scope', 'window_start']).doUpdateSet({ tokens: sql`rate_limit_windows.tokens + ${tokens}` }))
        .execute();
    },
    async activeRuns(owner) {
      const row = await db
        .selectFrom('runs')
        .select((eb) => eb.fn.countAll<number | string>().as('n'))
        .where('status', 'in', [...WORK_RUN_STATUSES])
        .$if('project' in owner, (q) => q.where('project', '=', (owner as { project: string }).project))
        .$if('keyId' in owner, (q) => q.where('key_id', '=', (owner as { keyId: string }).keyId))
        .executeTakeFirst();
      return Number(row?.n ?? 0);
    },
    async lock(scope) {
      // A sentinel window (start 0) per scope; the upsert's update takes the row lock until the transaction ends.
      await db
        .insertInto('rate_limit_windows')
        .values({ scope, window_start: 0, requests: 0, tokens: 0 })
        .onConflict((oc) => oc.columns(['scope', 'window_start']).doUpdateSet({ requests: sql`rate_limit_windows.requests` }))
        .execute();
    },
    async setRunKey(runId, keyId) {
      await db.updateTable('runs').set({ key_id: keyId }).where('id', '=', runId).execute();
    },
    async runKey(runId) {
      const row = await db.selectFrom('runs').select('key_id').where('id', '=', runId).executeTakeFirst();
      return row?.key_id ?? undefined;
    },
    async prune(before) {
      await db.deleteFrom('rate_limit_windows').where('window_start', '<', before).execute();
    },
  };
}
