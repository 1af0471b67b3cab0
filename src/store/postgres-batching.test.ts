import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CompiledQuery, Kysely, sql } from 'kysely';
import pg from 'pg';
import { createTestDatabase } from '../../test/support/postgres.js';
import { BatchingPostgresDialect, quoted } from './postgres-batching.js';
import { markUnread } from './unread-results.js';

// The batching driver on a real Postgres: what reaches the server, in how many round trips, and that values and
// failures come out as they would one statement at a time.

describe('postgres batching driver', () => {
  let pool: pg.Pool;
  let db: Kysely<any>;
  const sent: string[] = [];
  before(async () => {
    pool = new pg.Pool({ connectionString: await createTestDatabase(), max: 2 });
    pool.on('connect', (client) => {
      const query = client.query.bind(client) as (...args: unknown[]) => unknown;
      (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args) => {
        sent.push(String(args[0]));
        return query(...args);
      };
    });
    db = new Kysely<any>({ dialect: new BatchingPostgresDialect(pool) });
    await sql`create table items (id text primary key, n integer, big bigint, flag boolean, note text)`.execute(db);
  });
  after(() => db.destroy());

  test('a transaction that only inserts is one round trip; values arrive as they were sent', async () => {
    const tricky = `it's a "quote" \\ back\\slash, $1 and $$ and é 🎉\n-- not a comment`;
    sent.length = 0;
    await db.transaction().execute(async (tx) => {
      await tx.insertInto('items').values({ id: 'a', n: -5, big: 1_700_000_000_000, flag: true, note: tricky }).execute();
      await tx.insertInto('items').values([{ id: 'b', n: 0, big: null, flag: false, note: '' }, { id: 'c', n: 2, big: 3, flag: null, note: null }]).execute();
    });
    assert.equal(sent.length, 1);
    assert.match(sent[0]!, /^begin;[\s\S]*;\ncommit$/);
    const rows = await db.selectFrom('items').selectAll().orderBy('id').execute();
    // bigint comes back as text unless the store's type parser is installed in this process.
    assert.deepEqual(rows.map((r) => ({ ...r, big: r.big === null ? null : String(r.big) })), [
      { id: 'a', n: -5, big: '1700000000000', flag: true, note: tricky },
      { id: 'b', n: 0, big: null, flag: false, note: '' },
      { id: 'c', n: 2, big: '3', flag: null, note: null },
    ]);
  });

  test('a read inside the transaction sees the held inserts; its answer comes back', async () => {
    sent.length = 0;
    const seen = await db.transaction().execute(async (tx) => {
      await tx.insertInto('items').values({ id: 'd', n: 4 }).execute();
      const row = await tx.selectFrom('items').select('n').where('id', '=', 'd').executeTakeFirst();
      const updated = await tx.updateTable('items').set({ n: 5 }).where('id', '=', 'd').executeTakeFirst();
      return { n: row?.n, updated: Number(updated.numUpdatedRows) };
    });
    assert.deepEqual(seen, { n: 4, updated: 1 });
    assert.equal(sent.length, 3, sent.join('\n---\n'));
  });

  test('a held insert that fails fails the transaction, and nothing of it is kept', async () => {
    await assert.rejects(
      db.transaction().execute(async (tx) => {
        await tx.insertInto('items').values({ id: 'e', n: 1 }).execute();
        await tx.insertInto('items').values({ id: 'a', n: 1 }).execute();
      }),
      /duplicate key/,
    );
    assert.equal(await db.selectFrom('items').select('id').where('id', '=', 'e').executeTakeFirst(), undefined);
    // The connection is usable afterwards, in and out of transactions.
    await db.transaction().execute((tx) => tx.insertInto('items').values({ id: 'f', n: 1 }).execute());
    assert.equal((await db.selectFrom('items').select('n').where('id', '=', 'f').executeTakeFirstOrThrow()).n, 1);
  });

  test('a transaction that fails before writing sends nothing; one that writes nothing commits nothing', async () => {
    sent.length = 0;
    await assert.rejects(db.transaction().execute(async () => {
      throw new Error('boom');
    }), /boom/);
    await db.transaction().execute(async () => {});
    assert.deepEqual(sent, []);
  });

  test('an unread update is held and sent with the next statement; a failing one fails that statement and rolls the transaction back', async () => {
    await db.insertInto('items').values({ id: 'u', n: 1 }).execute();
    const unread = (tx: Kysely<any>, n: number | string) => tx.executeQuery(markUnread(CompiledQuery.raw('update "items" set "n" = $1 where "id" = $2', [n, 'u'])));
    sent.length = 0;
    await db.transaction().execute(async (tx) => {
      await unread(tx, 2);
      await tx.insertInto('items').values({ id: 'u2', n: 1 }).execute();
    });
    assert.equal(sent.length, 1, sent.join('\n---\n'));
    assert.match(sent[0]!, /^begin;\nupdate "items" set "n" = '2' where "id" = 'u';\ninsert into[\s\S]*;\ncommit$/);
    assert.equal((await db.selectFrom('items').select('n').where('id', '=', 'u').executeTakeFirstOrThrow()).n, 2);

    // 'x' is no integer: the held update fails the read it was sent with, and the insert before it is undone.
    await assert.rejects(
      db.transaction().execute(async (tx) => {
        await tx.insertInto('items').values({ id: 'u3', n: 1 }).execute();
        await unread(tx, 'x');
        await tx.selectFrom('items').select('n').where('id', '=', 'u').executeTakeFirst();
        assert.fail('the read must fail');
      }),
      /invalid input syntax for type integer/,
    );
    assert.equal(await db.selectFrom('items').select('id').where('id', '=', 'u3').executeTakeFirst(), undefined);
    assert.equal((await db.selectFrom('items').select('n').where('id', '=', 'u').executeTakeFirstOrThrow()).n, 2);
  });

  test('a statement sent with parameters is prepared once per connection and reused, also after it failed', async () => {
    await db.insertInto('items').values({ id: 'p', n: 7 }).execute();
    const read = (c: Kysely<any>, id: unknown) => c.selectFrom('items').select('n').where('id', '=', id as string).where('n', '>', 0).executeTakeFirst();
    const prepared = await db.connection().execute(async (c) => {
      assert.deepEqual(await read(c, 'p'), { n: 7 });
      await assert.rejects(c.selectFrom('items').select('n').where('n', '=', 'x' as any).execute(), /invalid input syntax/);
      assert.equal(await read(c, 'nothing'), undefined);
      assert.deepEqual(await read(c, 'p'), { n: 7 });
      const { rows } = await sql<{ statement: string }>`select statement from pg_prepared_statements`.execute(c);
      return rows.map((r) => r.statement);
    });
    assert.equal(prepared.filter((text) => text.includes('"n" > $2')).length, 1, prepared.join('\n'));
  });

  test('literals are quoted exactly as pg.escapeLiteral quotes them', () => {
    for (const text of ['', "'", "''", '\\', "a'b\\c'\\", 'plain', '{"a":"it\'s \\"x\\""}', 'é 🎉\n$1']) assert.equal(quoted(text), pg.escapeLiteral(text), text);
  });

  test('values that cannot be literals are sent as parameters, with the same outcome', async () => {
    await assert.rejects(db.transaction().execute((tx) => tx.insertInto('items').values({ id: 'nul', note: 'a\0b' }).execute()), /0x00|invalid byte/);
    await db.transaction().execute((tx) => tx.insertInto('items').values({ id: 'lit', note: sql`'x''y'` as any }).execute());
    assert.equal((await db.selectFrom('items').select('note').where('id', '=', 'lit').executeTakeFirstOrThrow()).note, "x'y");
  });
});
