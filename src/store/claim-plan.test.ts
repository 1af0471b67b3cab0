import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, sql, type CompiledQuery } from 'kysely';
import pg from 'pg';
import { createTestDatabase } from '../../test/support/postgres.js';
import { buildVectorStoreFile } from '../domain/vector-stores.js';
import { createStore } from './create-store.js';
import type { Store } from './store.js';
import { createVectorStoreFilesRepo } from './vector-store-files-repo.js';

// The ingestion claim runs every time a file finishes, on the same thread as the API. Its cost must not grow with
// the queue: both planners must read the queued files through the partial index, in order, and stop at the limit,
// never walk every queued file of a store (the plan that cost 5.9 ms a claim with 19.5k files queued).

const QUEUED = 5000;

for (const dialect of ['sqlite', 'postgres'] as const) {
  describe(`the ingestion claim's plan on ${dialect}`, () => {
    let store: Store;
    let db: Kysely<any>;
    const queries: CompiledQuery[] = [];
    before(async () => {
      const dir = mkdtempSync(join(tmpdir(), 'assistd-claim-'));
      const url = dialect === 'postgres' ? await createTestDatabase() : undefined;
      store = createStore({ databaseUrl: url, dataDir: dir });
      await store.migrate();
      const files = Array.from({ length: QUEUED }, (_, i) => ({
        file: buildVectorStoreFile('vs_queue', `file-${String(i).padStart(6, '0')}`, { type: 'auto' }, {}, 1_700_000_000 + Math.floor(i / 50)),
        batchId: null,
        job: `job-${i}`,
      }));
      await store.vectorStoreFiles.upsert('p', files);
      const dialectImpl = url ? new PostgresDialect({ pool: new pg.Pool({ connectionString: url, max: 1 }) }) : new SqliteDialect({ database: new BetterSqlite3(join(dir, 'assistd.sqlite')) });
      db = new Kysely({ dialect: dialectImpl, log: (event) => void queries.push(event.query) });
      if (url) await sql`analyze vector_store_files`.execute(db);
      else await sql`analyze`.execute(db);
    });
    after(async () => {
      await db.destroy();
      await store.close();
    });

    test('reads the queue through its partial index, not every queued file', async (t) => {
      const repo = createVectorStoreFilesRepo(db, { dialect, skipLocked: dialect === 'postgres', notify: false });
      const held = await repo.claim(1_000, 61_000, 8);
      assert.equal(held.length, 8);
      const claim = queries.find((q) => /^update "vector_store_files"/.test(q.sql))!;
      const plan = await explain(db, dialect, claim);
      t.diagnostic(plan);
      assert.match(plan, /vector_store_files_queue/, plan);
      assert.doesNotMatch(plan, /vector_store_files_status|Seq Scan on vector_store_files/, plan);
      // Claims after the first skip the leased files at the head of the queue and still take the next ones.
      const next = await repo.claim(1_000, 61_000, 8);
      assert.deepEqual(next.map((c) => c.fileId).sort(), Array.from({ length: 8 }, (_, i) => `file-${String(8 + i).padStart(6, '0')}`));
    });
  });
}

async function explain(db: Kysely<any>, dialect: 'sqlite' | 'postgres', query: CompiledQuery): Promise<string> {
  const prefix = dialect === 'sqlite' ? 'explain query plan ' : 'explain ';
  const result = await db.executeQuery<Record<string, unknown>>({ ...query, sql: prefix + query.sql });
  return result.rows.map((r) => String(r.detail ?? r['QUERY PLAN'])).join('\n');
}
