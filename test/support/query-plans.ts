import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, sql, type CompiledQuery } from 'kysely';
import pg from 'pg';
import { createStore } from '../../src/store/create-store.js';
import type { Store } from '../../src/store/store.js';
import { createTestDatabase } from './postgres.js';

// For the tests that check a hot query's plan: a migrated store on either database, seeded by the test, and a
// second Kysely handle on the same database that records each statement it runs, so a test can hand a
// repository that handle and ask the planner how it would run what the repository sent.

export type PlanDialect = 'sqlite' | 'postgres';

export interface PlanProbe {
  store: Store;
  /** The recording handle; the statements it ran since the seeding are in `queries`. */
  db: Kysely<any>;
  queries: CompiledQuery[];
  /** The planner's account of `query` (EXPLAIN QUERY PLAN on SQLite, EXPLAIN on Postgres), one line a step. */
  explain(query: CompiledQuery): Promise<string>;
  close(): Promise<void>;
}

export async function openPlanProbe(dialect: PlanDialect, seed: (store: Store) => Promise<void>): Promise<PlanProbe> {
  const dir = mkdtempSync(join(tmpdir(), 'assistd-plan-'));
  const url = dialect === 'postgres' ? await createTestDatabase() : undefined;
  const store = createStore({ databaseUrl: url, dataDir: dir });
  await store.migrate();
  await seed(store);
  const queries: CompiledQuery[] = [];
  const dialectImpl = url ? new PostgresDialect({ pool: new pg.Pool({ connectionString: url, max: 1 }) }) : new SqliteDialect({ database: new BetterSqlite3(join(dir, 'assistd.sqlite')) });
  const db = new Kysely<any>({ dialect: dialectImpl, log: (event) => void queries.push(event.query) });
  // Fresh statistics, so the planner chooses as it would on a database that has lived with these rows.
  await sql`analyze`.execute(db);
  queries.length = 0;
  return {
    store,
    db,
    queries,
    async explain(query) {
      const prefix = dialect === 'sqlite' ? 'explain query plan ' : 'explain ';
      const result = await db.executeQuery<Record<string, unknown>>({ ...query, sql: prefix + query.sql });
      return result.rows.map((r) => String(r.detail ?? r['QUERY PLAN'])).join('\n');
    },
    async close() {
      await db.destroy();
      await store.close();
    },
  };
}
