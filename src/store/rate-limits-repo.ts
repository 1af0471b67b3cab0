import { sql, type Kysely } from 'kysely';
import { WORK_RUN_STATUSES } from '../domain/run-status.js';
import type { Database } from './schema.js';
import type { StoreCapabilities } from './store.js';

/** What one scope used in one window. */
export interface WindowUsage {
  requests: number;
  tokens: number;
}

/**
 * Per-minute counters shared by every replica on the database, one row per scope and window; counting is a
 * single upsert for all of a request's scopes, so concurrent requests on different replicas cannot both take
 * the last slot. Scopes are always given key first, then project: rows are locked in one order.
 */
export interface RateLimitsRepo {
  /**
   * Counts one request in each scope still under its limit; the answer has each scope's counts after it, and
   * `allowed: false` (nothing counted there) where the limit was reached already.
   */
  takeRequest(scopes: ReadonlyArray<{ scope: string; limit: number }>, windowStart: number): Promise<Map<string, WindowUsage & { allowed: boolean }>>;
  usage(scopes: readonly string[], windowStart: number): Promise<Map<string, WindowUsage>>;
  /** The key that created a run (if recorded) and what its key and `projectScope` used in the window. */
  runUsage(runId: string, projectScope: string, windowStart: number): Promise<{ keyId: string | undefined; usage: Map<string, WindowUsage> }>;
  addTokens(scopes: readonly string[], windowStart: number, tokens: number): Promise<void>;
  /** Runs of the project, and of the key, a worker still drives (queued, in progress, cancelling). */
  activeRuns(project: string, keyId: string): Promise<{ project: number; key: number }>;
  /**
   * Inside a transaction: waits for any other transaction holding one of `scopes` (row locks on Postgres; SQLite
   * runs one write transaction at a time already), so a count and the write that depends on it cannot interleave.
   */
  lock(scopes: readonly string[]): Promise<void>;
  /** Records the key that created a run. */
  setRunKey(runId: string, keyId: string): Promise<void>;
  /** Drops windows that started before `before`. */
  prune(before: number): Promise<void>;
}

const toUsage = (row: { requests: number | string; tokens: number | string }): WindowUsage => ({ requests: Number(row.requests), tokens: Number(row.tokens) });

export function createRateLimitsRepo(db: Kysely<Database>, capabilities: StoreCapabilities): RateLimitsRepo {
  const usage = async (scopes: readonly string[], windowStart: number): Promise<Map<string, WindowUsage>> => {
    const rows = scopes.length === 0 ? [] : await db.selectFrom('rate_limit_windows').select(['scope', 'requests', 'tokens']).where('scope', 'in', [...scopes]).where('window_start', '=', windowStart).execute();
    const found = new Map(rows.map((row) => [row.scope, toUsage(row)]));
    return new Map(scopes.map((scope) => [scope, found.get(scope) ?? { requests: 0, tokens: 0 }]));
  };
  return {
    async takeRequest(scopes, windowStart) {
      const limitOf = sql.join(scopes.map(({ scope, limit }) => sql`when ${scope} then cast(${limit} as integer)`), sql` `);
      const rows = await db
        .insertInto('rate_limit_windows')
        .values(scopes.map(({ scope }) => ({ scope, window_start: windowStart, requests: 1, tokens: 0 })))
        .onConflict((oc) => oc.columns(['scope', 'window_start']).doUpdateSet({ requests: sql`rate_limit_windows.requests + 1` }).where(sql<boolean>`rate_limit_windows.requests < case excluded.scope ${limitOf} end`))
        .returning(['scope', 'requests', 'tokens'])
        .execute();
      const taken = new Map(rows.map((row) => [row.scope, { allowed: true, ...toUsage(row) }]));
      const refused = scopes.map((s) => s.scope).filter((scope) => !taken.has(scope));
      for (const [scope, used] of await usage(refused, windowStart)) taken.set(scope, { allowed: false, ...used });
      return taken;
    },
    usage,
    async runUsage(runId, projectScope, windowStart) {
      const rows = await db
        .selectFrom('runs as r')
        .leftJoin('rate_limit_windows as w', (join) => join.on('w.window_start', '=', windowStart).on((eb) => eb.or([eb('w.scope', '=', projectScope), eb('w.scope', '=', sql<string>`'key:' || r.key_id`)])))
        .select(['r.key_id', 'w.scope', 'w.requests', 'w.tokens'])
        .where('r.id', '=', runId)
        .execute();
      const keyId = rows[0]?.key_id ?? undefined;
      const scopes = keyId === undefined ? [projectScope] : [`key:${keyId}`, projectScope];
      const found = new Map(rows.filter((row) => row.scope !== null).map((row) => [row.scope!, toUsage({ requests: row.requests ?? 0, tokens: row.tokens ?? 0 })]));
      return { keyId, usage: new Map(scopes.map((scope) => [scope, found.get(scope) ?? { requests: 0, tokens: 0 }])) };
    },
    async addTokens(scopes, windowStart, tokens) {
      if (scopes.length === 0) return;
      await db
        .insertInto('rate_limit_windows')
        .values(scopes.map((scope) => ({ scope, window_start: windowStart, requests: 0, tokens })))
        .onConflict((oc) => oc.columns(['scope', 'window_start']).doUpdateSet({ tokens: sql`rate_limit_windows.tokens + ${tokens}` }))
        .execute();
    },
    async activeRuns(project, keyId) {
      const row = await db
        .selectFrom('runs')
        .select([sql<number | string>`count(case when project = ${project} then 1 end)`.as('project'), sql<number | string>`count(case when key_id = ${keyId} then 1 end)`.as('key')])
        .where('status', 'in', [...WORK_RUN_STATUSES])
        .where((eb) => eb.or([eb('project', '=', project), eb('key_id', '=', keyId)]))
        .executeTakeFirst();
      return { project: Number(row?.project ?? 0), key: Number(row?.key ?? 0) };
    },
    async lock(scopes) {
      if (capabilities.dialect === 'sqlite' || scopes.length === 0) return;
      // A sentinel window (start 0) per scope; the upsert's update takes the row locks until the transaction ends.
      await db
        .insertInto('rate_limit_windows')
        .values(scopes.map((scope) => ({ scope, window_start: 0, requests: 0, tokens: 0 })))
        .onConflict((oc) => oc.columns(['scope', 'window_start']).doUpdateSet({ requests: sql`rate_limit_windows.requests` }))
        .execute();
    },
    async setRunKey(runId, keyId) {
      await db.updateTable('runs').set({ key_id: keyId }).where('id', '=', runId).execute();
    },
    async prune(before) {
      await db.deleteFrom('rate_limit_windows').where('window_start', '<', before).execute();
    },
  };
}
