import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Kysely, sql } from 'kysely';
import pg from 'pg';
import { createTestDatabase } from '../../test/support/postgres.js';
import { runCompiled } from './compiled-statements.js';
import type { DirectTransactions } from './kysely-store.js';
import { PipeliningPostgresDialect } from './postgres-pipelining.js';

// Transactions the pipelining driver runs itself, with one handle per pooled connection, and compiled statements
// it runs without Kysely's executor: they must behave as Kysely's own transactions do.

describe('postgres direct transactions', () => {
  let pool: pg.Pool;
  let db: Kysely<any>;
  let direct: DirectTransactions;
  const insert = (handle: Kysely<any>, id: string, n: number | string) =>
    runCompiled(handle, 'items:insert', () => handle.insertInto('items').values({ id, n }), [id, n]);
  const read = async (handle: Kysely<any>, id: string) =>
    (await runCompiled<{ n: number }>(handle, 'items:get', () => handle.selectFrom('items').select('n').where('id', '=', id), [id])).rows[0]?.n;

  before(async () => {
    pool = new pg.Pool({ connectionString: await createTestDatabase(), max: 2, pipeline: true });
    const dialect = new PipeliningPostgresDialect(pool);
    db = new Kysely<any>({ dialect });
    direct = dialect.directTransactions(db);
    await sql`create table items (id text primary key, n integer)`.execute(db);
  });
  after(() => db.destroy());

  test('a connection carries the same handle each time; its statements belong to the transaction', async () => {
    const handles = new Set<Kysely<any>>();
    for (let i = 0; i < 6; i++) {
      await direct.run(async (transaction) => {
        const handle = transaction as Kysely<any>;
        handles.add(handle);
        assert.equal(handle.isTransaction, true);
        await insert(handle, `a${i}`, i);
        // Read back inside the transaction, through the compiled path and through Kysely's executor.
        assert.equal(await read(handle, `a${i}`), i);
        assert.deepEqual(await handle.selectFrom('items').select('n').where('id', '=', `a${i}`).execute(), [{ n: i }]);
      });
    }
    assert.ok(handles.size <= 2, `one handle per pooled connection, got ${handles.size}`);
    // Outside transactions the compiled path runs on the pool and sees what was committed.
    assert.equal(await read(db, 'a5'), 5);
  });

  test('a failure rolls back everything of the transaction; the caller gets its own error', async () => {
    await assert.rejects(
      direct.run(async (handle) => {
        await insert(handle, 'b1', 1);
        throw new Error('boom');
      }),
      /boom/,
    );
    // The held insert of 'a0' fails (duplicate): the read it is sent with fails with the insert's error.
    await assert.rejects(
      direct.run(async (handle) => {
        await insert(handle, 'b2', 2);
        await insert(handle, 'a0', 0);
        await read(handle, 'b2');
        assert.fail('the read must fail');
      }),
      /duplicate key/,
    );
    assert.equal(await read(db, 'b1'), undefined);
    assert.equal(await read(db, 'b2'), undefined);
  });

  test('concurrent transactions on two connections each get their own answers and failures', async () => {
    const ok = direct.run(async (handle) => {
      await insert(handle, 'c1', 1);
      await new Promise((r) => setTimeout(r, 20));
      return read(handle, 'c1');
    });
    const failing = direct.run(async (handle) => {
      await insert(handle, 'c2', 'not a number');
      return read(handle, 'c2');
    });
    const [good, bad] = await Promise.allSettled([ok, failing]);
    assert.deepEqual(good, { status: 'fulfilled', value: 1 });
    assert.equal(bad.status, 'rejected');
    assert.match(String((bad as PromiseRejectedResult).reason), /invalid input syntax for type integer/);
    assert.equal(await read(db, 'c1'), 1);
    assert.equal(await read(db, 'c2'), undefined);
  });

  test('a handle used after its transaction ended is refused, not run in the next transaction', async () => {
    let kept: Kysely<any> | undefined;
    await direct.run(async (handle) => {
      kept = handle as Kysely<any>;
    });
    await assert.rejects(insert(kept!, 'd1', 1), /after the transaction ended/);
    await assert.rejects(kept!.insertInto('items').values({ id: 'd1', n: 1 }).execute(), /after the transaction ended/);
    assert.equal(await read(db, 'd1'), undefined);
  });

  test('a read answered at commit goes with the commit, sees the writes before it, and fails with its transaction', async () => {
    const later = (handle: Kysely<any>, id: string) =>
      runCompiled<{ n: number }>(handle, 'items:get', () => handle.selectFrom('items').select('n').where('id', '=', id), [id], { atCommit: true });
    let answered = false;
    let read: Promise<unknown> | undefined;
    await direct.run(async (handle) => {
      await insert(handle, 'e1', 7);
      read = later(handle, 'e1').then((result) => ((answered = true), result.rows[0]));
    });
    assert.deepEqual(await read, { n: 7 });
    assert.ok(answered);
    // The transaction fails (a duplicate key): the read fails too, and nothing waits forever.
    let failed: Promise<unknown> | undefined;
    await assert.rejects(
      direct.run(async (handle) => {
        await insert(handle, 'e1', 8);
        failed = later(handle, 'e1');
        failed.catch(() => {});
      }),
    );
    await assert.rejects(failed!);
    // A transaction given up before anything is sent fails its held read as well.
    let dropped: Promise<unknown> | undefined;
    await assert.rejects(
      direct.run(async (handle) => {
        dropped = later(handle, 'e1');
        dropped.catch(() => {});
        throw new Error('give up');
      }),
      /give up/,
    );
    await assert.rejects(dropped!, /ended before this statement was sent/);
  });
});
