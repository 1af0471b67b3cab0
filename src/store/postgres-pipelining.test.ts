import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { CompiledQuery, Kysely, sql } from 'kysely';
import pg from 'pg';
import { createTestDatabase } from '../../test/support/postgres.js';
import { PipeliningPostgresDialect } from './postgres-pipelining.js';
import { markUnread } from './unread-results.js';

// The pipelining driver on a real Postgres: what reaches the server, in how many socket writes (each write is a
// round trip: the driver waits for the answers before it writes again), and that values and failures come out
// as they would one statement at a time.

describe('postgres pipelining driver', () => {
  let pool: pg.Pool;
  let db: Kysely<any>;
  /** The statements the clients were given, and the socket writes that carried them. */
  const sent: string[] = [];
  let writes = 0;
  const reset = () => {
    sent.length = 0;
    writes = 0;
  };
  before(async () => {
    pool = new pg.Pool({ connectionString: await createTestDatabase(), max: 2, pipeline: true });
    pool.on('connect', (client) => {
      const query = client.query.bind(client) as (...args: unknown[]) => unknown;
      (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args) => {
        const config = args[0] as string | { text: string; values?: unknown[] };
        sent.push(typeof config === 'string' ? config : `${config.text}${config.values ? ` [${config.values.length}]` : ''}`);
        return query(...args);
      };
      const socket = (client as unknown as { connection: { stream: Socket } }).connection.stream as unknown as Record<'_write' | '_writev', (...args: unknown[]) => unknown>;
      for (const method of ['_write', '_writev'] as const) {
        const write = socket[method].bind(socket);
        socket[method] = (...args) => {
          writes++;
          return write(...args);
        };
      }
    });
    db = new Kysely<any>({ dialect: new PipeliningPostgresDialect(pool) });
    await sql`create table items (id text primary key, n integer, big bigint, flag boolean, note text, bytes bytea, tags text[])`.execute(db);
  });
  after(() => db.destroy());

  test('a transaction that only inserts is one write; values arrive as they were sent', async () => {
    const tricky = `it's a "quote" \\ back\\slash, $1 and $$ and é 🎉\n-- not a comment`;
    reset();
    await db.transaction().execute(async (tx) => {
      await tx.insertInto('items').values({ id: 'a', n: -5, big: 1_700_000_000_000, flag: true, note: tricky }).execute();
      await tx.insertInto('items').values([{ id: 'b', n: 0, big: null, flag: false, note: '' }, { id: 'c', n: 2, big: 3, flag: null, note: null }]).execute();
    });
    // Its two INSERTs are one statement (pg-merged-writes.ts), sent alone: it needs no BEGIN or COMMIT.
    assert.equal(writes, 1);
    assert.equal(sent.length, 1);
    assert.match(sent[0]!, /^with "assistd_w1" as \(insert into "items" .*\) insert into "items" .* \[15\]$/);
    const rows = await db.selectFrom('items').select(['id', 'n', 'big', 'flag', 'note']).orderBy('id').execute();
    // bigint comes back as text unless the store's type parser is installed in this process.
    assert.deepEqual(rows.map((r) => ({ ...r, big: r.big === null ? null : String(r.big) })), [
      { id: 'a', n: -5, big: '1700000000000', flag: true, note: tricky },
      { id: 'b', n: 0, big: null, flag: false, note: '' },
      { id: 'c', n: 2, big: '3', flag: null, note: null },
    ]);
  });

  test('held statements carry their parameters and are prepared once per connection, as the others are', async () => {
    const prepared = await db.connection().execute(async (c) => {
      for (const id of ['p1', 'p2']) await c.transaction().execute((tx) => tx.insertInto('items').values({ id, n: 1 }).execute());
      const { rows } = await sql<{ statement: string }>`select statement from pg_prepared_statements`.execute(c);
      return rows.map((r) => r.statement);
    });
    assert.equal(prepared.filter((text) => text.startsWith('insert into "items" ("id", "n") values ($1, $2)')).length, 1, prepared.join('\n'));
  });

  test('a read inside the transaction sees the held inserts; its answer comes back', async () => {
    reset();
    const seen = await db.transaction().execute(async (tx) => {
      await tx.insertInto('items').values({ id: 'd', n: 4 }).execute();
      const row = await tx.selectFrom('items').select('n').where('id', '=', 'd').executeTakeFirst();
      const updated = await tx.updateTable('items').set({ n: 5 }).where('id', '=', 'd').executeTakeFirst();
      return { n: row?.n, updated: Number(updated.numUpdatedRows) };
    });
    assert.deepEqual(seen, { n: 4, updated: 1 });
    assert.equal(writes, 3, sent.join('\n---\n'));
  });

  test('values of every kind are held and sent with the rest in one write', async () => {
    reset();
    const row = await db.transaction().execute(async (tx) => {
      await tx.insertInto('items').values({ id: 'kinds', bytes: Buffer.from([0, 1, 255]), tags: ['x', "y'z"] }).execute();
      return tx.selectFrom('items').select(['bytes', 'tags']).where('id', '=', 'kinds').executeTakeFirstOrThrow();
    });
    assert.deepEqual(row, { bytes: Buffer.from([0, 1, 255]), tags: ['x', "y'z"] });
    assert.equal(writes, 2, sent.join('\n---\n'));
  });

  test('a held insert that fails fails the transaction with its own error, and nothing of it is kept', async () => {
    await assert.rejects(
      db.transaction().execute(async (tx) => {
        await tx.insertInto('items').values({ id: 'e', n: 1 }).execute();
        await tx.insertInto('items').values({ id: 'a', n: 1 }).execute();
      }),
      /duplicate key/,
    );
    await assert.rejects(db.transaction().execute((tx) => tx.insertInto('items').values({ id: 'nul', note: 'a\0b' }).execute()), /0x00|invalid byte/);
    assert.equal(await db.selectFrom('items').select('id').where('id', 'in', ['e', 'nul']).executeTakeFirst(), undefined);
    // The connections are usable afterwards, in and out of transactions.
    for (const id of ['f', 'g']) await db.transaction().execute((tx) => tx.insertInto('items').values({ id, n: 1 }).execute());
    assert.equal((await db.selectFrom('items').select('n').where('id', '=', 'f').executeTakeFirstOrThrow()).n, 1);
  });

  test('a transaction that fails before writing sends nothing; one that writes nothing commits nothing', async () => {
    reset();
    await assert.rejects(db.transaction().execute(async () => {
      throw new Error('boom');
    }), /boom/);
    await db.transaction().execute(async () => {});
    assert.deepEqual(sent, []);
    assert.equal(writes, 0);
  });

  test('an unread update is held and sent with the next statement; a failing one fails that statement and rolls the transaction back', async () => {
    await db.insertInto('items').values({ id: 'u', n: 1 }).execute();
    const unread = (tx: Kysely<any>, n: number | string) => tx.executeQuery(markUnread(CompiledQuery.raw('update "items" set "n" = $1 where "id" = $2', [n, 'u'])));
    reset();
    await db.transaction().execute(async (tx) => {
      await unread(tx, 2);
      await tx.insertInto('items').values({ id: 'u2', n: 1 }).execute();
    });
    assert.equal(writes, 1, sent.join('\n---\n'));
    assert.deepEqual(sent.map((s) => s.split(' ')[0]), ['begin', 'update', 'insert', 'commit']);
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
});
