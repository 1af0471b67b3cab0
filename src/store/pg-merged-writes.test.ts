import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Kysely, sql } from 'kysely';
import pg from 'pg';
import { createTestDatabase } from '../../test/support/postgres.js';
import { mergedWrites } from './pg-merged-writes.js';
import { PipeliningPostgresDialect } from './postgres-pipelining.js';
import { isStaleWrite, STALE_CHECK } from './stale-write.js';
import { markUnread } from './unread-results.js';

const insert = (table: string, n = 2) => ({ text: `insert into "${table}" ("id", "v") values (${Array.from({ length: n }, (_, i) => `$${i + 1}`).join(', ')})`, values: Array.from({ length: n }, (_, i) => `${table}${i}`) });
const update = (table: string) => ({ text: `update "${table}" set "v" = $1 where "id" = $2`, values: ['v', 'id'] });

describe('merged writes: which held statements run as one', () => {
  test('writes of different tables, and INSERTs into one table, become one statement, parameters renumbered', () => {
    const [one, ...rest] = mergedWrites([insert('a'), insert('a'), update('b')]);
    assert.equal(rest.length, 0);
    assert.equal(one!.text, 'with "assistd_w1" as (insert into "a" ("id", "v") values ($1, $2)), "assistd_w2" as (insert into "a" ("id", "v") values ($3, $4)) update "b" set "v" = $5 where "id" = $6');
    assert.deepEqual(one!.values, ['a0', 'a1', 'a0', 'a1', 'v', 'id']);
    // Prepared under a name, the same each time these writes come together.
    assert.match(one!.name!, /^assistd_merged_\d+$/);
    const again = mergedWrites([insert('a'), insert('a'), { ...update('b'), values: ['w', 'id2'] }]);
    assert.deepEqual(again, [{ ...one, values: ['a0', 'a1', 'a0', 'a1', 'w', 'id2'] }]);
  });

  test('a write that could see another (same table, a read of it, a subquery) starts a new statement; order is kept', () => {
    const a = insert('a');
    const u = update('a');
    assert.deepEqual(mergedWrites([a, u]), [a, u]);
    const sub = { text: 'update "b" set "v" = $1 where "id" in (select "id" from "a")', values: [1] };
    assert.deepEqual(mergedWrites([a, sub]), [a, sub]);
    const raw = { text: 'with "x" as (insert into "c" ("id") values ($1)) select 1 from json_each($2)', values: [1, 2] };
    assert.deepEqual(mergedWrites([raw]), [raw]);
    assert.equal(mergedWrites([a, u, insert('b')]).length, 2);
    const upsert = { text: 'insert into "a" ("id", "v") values ($1, $2) on conflict ("id") do update set "v" = excluded."v"', values: [1, 2] };
    assert.deepEqual(mergedWrites([upsert, upsert]), [upsert, upsert]);
    // A long run of writes is cut into statements of a few each.
    assert.equal(mergedWrites(Array.from({ length: 40 }, () => insert('a'))).length, 3);
  });

  test('a WITH query goes last, its CTEs continuing the list; two of them are not merged; literals keep their $', () => {
    const check = { text: `with "changed" as (update "runs" set "v" = $1 where "id" = $2 returning 1) select '$1' || count(*) from "changed"`, values: [1, 2] };
    const [one, ...rest] = mergedWrites([check, insert('a')]);
    assert.equal(rest.length, 0);
    assert.equal(one!.text, `with "assistd_w1" as (insert into "a" ("id", "v") values ($1, $2)), "changed" as (update "runs" set "v" = $3 where "id" = $4 returning 1) select '$1' || count(*) from "changed"`);
    assert.equal(mergedWrites([check, { ...check, text: check.text.replace('"runs"', '"other"') }]).length, 2);
  });

  test('a held SELECT that locks nothing (a check) goes last, as a WITH query does; one with a lock stays alone', () => {
    const check = { text: `select case when count("id") = 0 then ('x' || count("id"))::integer end as "stale" from "c" where "id" = $1`, values: ['c1'] };
    const [one, ...rest] = mergedWrites([insert('a'), check, insert('b')]);
    assert.equal(rest.length, 0);
    assert.equal(one!.text, `with "assistd_w1" as (insert into "a" ("id", "v") values ($1, $2)), "assistd_w2" as (insert into "b" ("id", "v") values ($3, $4)) ${check.text.replace('$1', '$5')}`);
    assert.deepEqual(one!.values, ['a0', 'a1', 'b0', 'b1', 'c1']);
    // Not with a write of what it reads, nor with a WITH query or another check: both would have to come last.
    assert.equal(mergedWrites([insert('c'), check]).length, 2);
    const withQuery = { text: `with "changed" as (update "runs" set "v" = $1 where "id" = $2 returning 1) select count(*) from "changed"`, values: [1, 2] };
    assert.equal(mergedWrites([check, withQuery]).length, 2);
    assert.equal(mergedWrites([check, check]).length, 2);
    const lock = { text: 'select "id" from "c" where "id" = $1 for update', values: ['c1'] };
    assert.deepEqual(mergedWrites([insert('a'), lock]), [insert('a'), lock]);
  });
});

// Through the driver on a real Postgres: effects, failures and what reaches the server.
describe('merged writes on postgres', () => {
  let pool: pg.Pool;
  let db: Kysely<any>;
  const sent: string[] = [];
  before(async () => {
    pool = new pg.Pool({ connectionString: await createTestDatabase(), max: 2, pipeline: true });
    pool.on('connect', (client) => {
      const query = client.query.bind(client) as (...args: unknown[]) => unknown;
      (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args) => {
        const config = args[0] as string | { text: string };
        sent.push(typeof config === 'string' ? config : config.text);
        return query(...args);
      };
    });
    db = new Kysely<any>({ dialect: new PipeliningPostgresDialect(pool) });
    for (const table of ['a', 'b']) await sql`create table ${sql.table(table)} (id text primary key, v text)`.execute(db);
  });
  after(() => db.destroy());

  test('an INSERT then an UPDATE of its row (not merged) both take effect; other tables ride along', async () => {
    sent.length = 0;
    await db.transaction().execute(async (tx) => {
      await tx.insertInto('a').values({ id: 'r1', v: 'new' }).execute();
      await tx.executeQuery(markUnread(tx.updateTable('a').set({ v: 'updated' }).where('id', '=', 'r1').compile()));
      await tx.insertInto('b').values({ id: 'r1', v: 'b' }).execute();
    });
    // BEGIN, the INSERT, the UPDATE with the other INSERT, COMMIT.
    assert.equal(sent.length, 4, sent.join('\n'));
    assert.match(sent[2]!, /^with "assistd_w1" as \(update "a"/);
    assert.deepEqual(await db.selectFrom('a').select(['id', 'v']).execute(), [{ id: 'r1', v: 'updated' }]);
    assert.deepEqual(await db.selectFrom('b').select(['id', 'v']).execute(), [{ id: 'r1', v: 'b' }]);
  });

  test('a check merged with the writes: they take effect when it passes, nothing does when it fails', async () => {
    const check = (id: string) => db.selectFrom('a').select(sql.raw(`case when count("id") = 0 then ('assistd_test_' || count("id"))::integer end`).as('stale')).where('id', '=', id).compile();
    sent.length = 0;
    await db.transaction().execute(async (t) => {
      await t.insertInto('b').values({ id: 'c1', v: 'b' }).execute();
      await t.executeQuery(markUnread(check('r1')));
    });
    // One statement, sent without BEGIN and COMMIT.
    assert.equal(sent.length, 1, sent.join('\n'));
    assert.equal((await db.selectFrom('b').select('id').where('id', '=', 'c1').executeTakeFirst())?.id, 'c1');
    const failed = db.transaction().execute(async (t) => {
      await t.insertInto('b').values({ id: 'c2', v: 'b' }).execute();
      await t.executeQuery(markUnread(check('missing')));
    });
    await assert.rejects(failed, (err) => (err as { code?: string }).code === '22P02' && /assistd_test_0/.test(String(err)));
    assert.equal(await db.selectFrom('b').select('id').where('id', '=', 'c2').executeTakeFirst(), undefined);
  });

  test('a merged write that fails (a stale check, a duplicate key) fails the transaction and keeps nothing of it', async () => {
    const staleCheck = (id: string) =>
      db
        .with('changed', (q) => q.updateTable('a').set({ v: 'done' }).where('id', '=', id).where('v', '=', 'expected').returning(sql<number>`1`.as('one')))
        .selectFrom('changed')
        .select(sql.raw(STALE_CHECK).as('stale'))
        .compile();
    const failed = db.transaction().execute(async (t) => {
      await t.executeQuery(markUnread(staleCheck('r1')));
      await t.insertInto('b').values({ id: 'r2', v: 'b' }).execute();
    });
    await assert.rejects(failed, (err) => isStaleWrite(err));
    assert.equal(await db.selectFrom('b').select('id').where('id', '=', 'r2').executeTakeFirst(), undefined);
    const duplicate = db.transaction().execute(async (t) => {
      await t.insertInto('b').values({ id: 'r3', v: 'b' }).execute();
      await t.insertInto('a').values({ id: 'r1', v: 'again' }).execute();
    });
    await assert.rejects(duplicate, (err) => (err as { code?: string }).code === '23505');
    assert.equal(await db.selectFrom('b').select('id').where('id', '=', 'r3').executeTakeFirst(), undefined);
    // The connections are usable afterwards.
    await db.transaction().execute((t) => t.insertInto('b').values({ id: 'r4', v: 'b' }).execute());
    assert.equal((await db.selectFrom('b').select('id').where('id', '=', 'r4').executeTakeFirst())?.id, 'r4');
  });
});
