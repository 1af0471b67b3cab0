import assert from 'node:assert/strict';
import { test } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, sql, SqliteDialect } from 'kysely';
import { InlineLimitPlugin } from './inline-limit-plugin.js';

test('integer limits are written into the SQL; other values stay bound', async () => {
  const database = new BetterSqlite3(':memory:');
  const db = new Kysely<any>({ dialect: new SqliteDialect({ database }), plugins: [new InlineLimitPlugin()] });
  try {
    const inlined = db.selectFrom('t').select('id').where('id', '>', 3).limit(5).compile();
    assert.match(inlined.sql, /limit 5$/);
    assert.deepEqual(inlined.parameters, [3]);
    // Subqueries built from the same handle go through the plugin too.
    const subquery = db.selectFrom('t').select('id').where('id', 'in', db.selectFrom('u').select('id').limit(2)).compile();
    assert.match(subquery.sql, /limit 2\)$/);
    assert.deepEqual(subquery.parameters, []);
    const fractional = db.selectFrom('t').select('id').limit(2.5).compile();
    assert.match(fractional.sql, /limit \?$/);
    assert.deepEqual(fractional.parameters, [2.5]);

    await sql`create table t (id integer)`.execute(db);
    for (let i = 0; i < 10; i++) await db.insertInto('t').values({ id: i }).execute();
    for (const limit of [1, 4, 7]) assert.equal((await db.selectFrom('t').select('id').limit(limit).execute()).length, limit);
  } finally {
    await db.destroy();
  }
});
