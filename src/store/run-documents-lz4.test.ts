import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Kysely, Migrator, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { createTestDatabase } from '../../test/support/postgres.js';
import { migrationProvider, postgresTypes } from './migrations.js';

// Migration 0022 (Postgres): new values of the run path's documents are compressed with lz4; values stored before
// it keep pglz and read back as they were written.

const big = (tag: string) => JSON.stringify({ tag, events: Array.from({ length: 200 }, (_, i) => ({ seq: i, event: 'thread.message.delta', text: 'lorem ipsum dolor sit amet' })) });

test('a database migrated from 0021 with run documents in it reads them back the same; new ones are lz4', async () => {
  const db = new Kysely<any>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: await createTestDatabase(), max: 1 }) }) });
  try {
    const migrator = new Migrator({ db, provider: migrationProvider(postgresTypes) });
    assert.equal((await migrator.migrateTo('0021_run_indexes_unread')).error, undefined);
    const event = (runId: string) => ({ run_id: runId, seq: 1, project: 'p', event: '*', data: big(runId), created_at: 1 });
    const run = (id: string) => ({ id, project: 'p', created_at: 1, data: big(id), thread_id: 't', status: 'completed' });
    await db.insertInto('run_events').values(event('run_old')).execute();
    await db.insertInto('runs').values(run('run_old')).execute();
    assert.equal((await migrator.migrateToLatest()).error, undefined);
    await db.insertInto('run_events').values(event('run_new')).execute();
    await db.insertInto('runs').values(run('run_new')).execute();
    for (const table of ['run_events', 'runs'] as const) {
      const key = table === 'runs' ? 'id' : 'run_id';
      const { rows } = await sql<{ id: string; data: string; method: string }>`select ${sql.ref(key)} as id, data, pg_column_compression(data) as method from ${sql.table(table)} order by 1`.execute(db);
      assert.deepEqual(rows, [
        { id: 'run_new', data: big('run_new'), method: 'lz4' },
        { id: 'run_old', data: big('run_old'), method: 'pglz' },
      ]);
    }
  } finally {
    await db.destroy();
  }
});
