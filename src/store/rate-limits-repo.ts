import { sql, type Kysely, type RawBuilder } from 'kysely';
import { runCompiled } from './compiled-statements.js';
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
  /** The id and name of the key (revoked or not) whose hash is `keyHash`, for the limits given to it by id or name. */
  keyIdentity(keyHash: string): Promise<{ id: string; name: string } | undefined>;
  /** Drops windows that started before `before`. */
  prune(before: number): Promise<void>;
}

const toUsage = (row: { requests: number | string; tokens: number | string }): WindowUsage => ({ requests: Number(row.requests), tokens: Number(row.tokens) });
const ACTIVE = [...WORK_RUN_STATUSES];

// Every statement runs by shape (compiled-statements.ts): these run on each request and model call, where
// building and compiling a Kysely query would cost more than the statement.
export function createRateLimitsRepo(db: Kysely<Database>, capabilities: StoreCapabilities): RateLimitsRepo {
  const usage = async (scopes: readonly string[], windowStart: number): Promise<Map<string, WindowUsage>> => {
    const { rows } = scopes.length === 0 ? { rows: [] } : await runCompiled<{ scope: string; requests: number; tokens: number }>(
      db,
      `rate_limits:usage:${scopes.length}`,
      () => db.selectFrom('rate_limit_windows').select(['scope', 'requests', 'tokens']).where('scope', 'in', [...scopes]).where('window_start', '=', windowStart),
      [...scopes, windowStart],
    );
    const found = new Map(rows.map((row) => [row.scope, toUsage(row)]));
    return new Map(scopes.map((scope) => [scope, found.get(scope) ?? { requests: 0, tokens: 0 }]));
  };
  /** One row per scope, inserted or its counters raised: `update` says how, `where` when (raw SQL, no parameters). */
  const upsert = (scopes: readonly string[], windowStart: number, counts: WindowUsage, update: Record<string, RawBuilder<unknown>>, where?: RawBuilder<boolean>) => {
    const values = scopes.map((scope) => ({ scope, window_start: windowStart, requests: counts.requests, tokens: counts.tokens }));
    return db.insertInto('rate_limit_windows').values(values).onConflict((oc) => {
      const set = oc.columns(['scope', 'window_start']).doUpdateSet(update);
      return where ? set.where(where) : set;
    });
  };
  return {
    async takeRequest(scopes, windowStart) {
      const names = scopes.map((s) => s.scope);
      const limitOf = sql.join(scopes.map(({ scope, limit }) => sql`when ${scope} then cast(${limit} as integer)`), sql` `);
      const { rows } = await runCompiled<{ scope: string; requests: number; tokens: number }>(
        db,
        `rate_limits:take:${scopes.length}`,
        () => upsert(names, windowStart, { requests: 1, tokens: 0 }, { requests: sql`rate_limit_windows.requests + 1` }, sql<boolean>`rate_limit_windows.requests < case excluded.scope ${limitOf} end`).returning(['scope', 'requests', 'tokens']),
        [...names.flatMap((scope) => [scope, windowStart, 1, 0]), ...scopes.flatMap(({ scope, limit }) => [scope, limit])],
      );
      const taken = new Map(rows.map((row) => [row.scope, { allowed: true, ...toUsage(row) }]));
      const refused = names.filter((scope) => !taken.has(scope));
      for (const [scope, used] of await usage(refused, windowStart)) taken.set(scope, { allowed: false, ...used });
      return taken;
    },
    usage,
    async runUsage(runId, projectScope, windowStart) {
      const { rows } = await runCompiled<{ key_id: string | null; scope: string | null; requests: number | null; tokens: number | null }>(
        db,
        'rate_limits:run_usage',
        () =>
          db
            .selectFrom('runs as r')
            .leftJoin('rate_limit_windows as w', (join) => join.on('w.window_start', '=', windowStart).on((eb) => eb.or([eb('w.scope', '=', projectScope), eb('w.scope', '=', sql<string>`'key:' || r.key_id`)])))
            .select(['r.key_id', 'w.scope', 'w.requests', 'w.tokens'])
            .where('r.id', '=', runId),
        [windowStart, projectScope, runId],
      );
      const keyId = rows[0]?.key_id ?? undefined;
      const scopes = keyId === undefined ? [projectScope] : [`key:${keyId}`, projectScope];
      const found = new Map(rows.filter((row) => row.scope !== null).map((row) => [row.scope!, toUsage({ requests: row.requests ?? 0, tokens: row.tokens ?? 0 })]));
      return { keyId, usage: new Map(scopes.map((scope) => [scope, found.get(scope) ?? { requests: 0, tokens: 0 }])) };
    },
    async addTokens(scopes, windowStart, tokens) {
      if (scopes.length === 0) return;
      await runCompiled(
        db,
        `rate_limits:add_tokens:${scopes.length}`,
        () => upsert(scopes, windowStart, { requests: 0, tokens }, { tokens: sql`rate_limit_windows.tokens + excluded.tokens` }),
        scopes.flatMap((scope) => [scope, windowStart, 0, tokens]),
      );
    },
    async activeRuns(project, keyId) {
      const { rows } = await runCompiled<{ project: number | string; key: number | string }>(
        db,
        'rate_limits:active_runs',
        () =>
          db
            .selectFrom('runs')
            .select([sql<number | string>`count(case when project = ${project} then 1 end)`.as('project'), sql<number | string>`count(case when key_id = ${keyId} then 1 end)`.as('key')])
            .where('status', 'in', ACTIVE)
            .where((eb) => eb.or([eb('project', '=', project), eb('key_id', '=', keyId)])),
        [project, keyId, ...ACTIVE, project, keyId],
      );
      return { project: Number(rows[0]?.project ?? 0), key: Number(rows[0]?.key ?? 0) };
    },
    async lock(scopes) {
      if (capabilities.dialect === 'sqlite' || scopes.length === 0) return;
      // A sentinel window (start 0) per scope; the upsert's update takes the row locks until the transaction ends.
      await runCompiled(
        db,
        `rate_limits:lock:${scopes.length}`,
        () => upsert(scopes, 0, { requests: 0, tokens: 0 }, { requests: sql`rate_limit_windows.requests` }),
        scopes.flatMap((scope) => [scope, 0, 0, 0]),
      );
    },
    async setRunKey(runId, keyId) {
      await runCompiled(db, 'rate_limits:set_run_key', () => db.updateTable('runs').set({ key_id: keyId }).where('id', '=', runId), [keyId, runId]);
    },
    async keyIdentity(keyHash) {
      return db.selectFrom('api_keys').select(['id', 'name']).where('hash', '=', keyHash).executeTakeFirst();
    },
    async prune(before) {
      await db.deleteFrom('rate_limit_windows').where('window_start', '<', before).execute();
    },
  };
}
