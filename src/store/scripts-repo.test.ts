import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Sqlite from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import { createTestDatabase } from '../../test/support/postgres.js';
import { createStoredScriptSource } from '../engine/stored-script-source.js';
import { createStore } from './create-store.js';
import { migrationProvider, postgresTypes, sqliteTypes } from './migrations.js';
import type { Store } from './store.js';

for (const dialect of ['sqlite', 'postgres'] as const) {
  describe(`scripts repo on ${dialect}`, () => {
    let store: Store;
    let dir: string;
    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'assistd-scripts-'));
      store = createStore({ databaseUrl: dialect === 'postgres' ? await createTestDatabase() : undefined, dataDir: dir });
      await store.migrate();
    });
    after(async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    });

    test('put creates, put again replaces and keeps created_at, delete removes', async () => {
      const first = await store.scripts.put('p', 'greet', { rules: [{ steps: [{ text: 'hi' }] }] }, 100);
      assert.deepEqual(first, { name: 'greet', script: { rules: [{ steps: [{ text: 'hi' }] }] }, created_at: 100, updated_at: 100 });
      const second = await store.scripts.put('p', 'greet', { rules: [{ steps: [{ text: 'hello' }] }] }, 200);
      assert.deepEqual(second, { name: 'greet', script: { rules: [{ steps: [{ text: 'hello' }] }] }, created_at: 100, updated_at: 200 });
      assert.deepEqual(await store.scripts.get('p', 'greet'), second);
      assert.equal(await store.scripts.delete('p', 'greet'), true);
      assert.equal(await store.scripts.delete('p', 'greet'), false);
      assert.equal(await store.scripts.get('p', 'greet'), undefined);
    });

    test('list pages by name, both orders', async () => {
      for (const name of ['c', 'a', 'B', 'b']) await store.scripts.put('p', name, { rules: [{ steps: [{ text: name }] }] }, 1);
      const names = async (page: Parameters<Store['scripts']['list']>[1]) => {
        const got = await store.scripts.list('p', page);
        return [got.data.map((s) => s.name), got.has_more];
      };
      assert.deepEqual(await names({ limit: 2, order: 'asc' }), [['B', 'a'], true]);
      assert.deepEqual(await names({ limit: 2, order: 'asc', after: 'a' }), [['b', 'c'], false]);
      assert.deepEqual(await names({ limit: 3, order: 'desc', after: 'c' }), [['b', 'a', 'B'], false]);
      assert.deepEqual(await createStoredScriptSource(store).list!('p'), ['B', 'a', 'b', 'c']);
    });

    test('the stored source validates what it reads', async () => {
      const source = createStoredScriptSource(store);
      assert.deepEqual(await source.get('a', 'p'), { rules: [{ steps: [{ text: 'a' }] }] });
      assert.equal(await source.get('nope', 'p'), undefined);
      await store.scripts.put('p', 'broken', { rules: [] }, 1);
      await assert.rejects(source.get('broken', 'p'));
    });

    test('a project sees only its own scripts, then the server-wide ones', async () => {
      const wide = { shared: { rules: [{ steps: [{ text: 'from the operator' }] }] }, a: { rules: [{ steps: [{ text: 'wide a' }] }] } };
      const source = createStoredScriptSource(store, wide);
      assert.equal(await store.scripts.get('other', 'a'), undefined);
      assert.deepEqual((await store.scripts.list('other', { limit: 10, order: 'asc' })).data, []);
      assert.equal(await store.scripts.delete('other', 'a'), false);
      await store.scripts.put('other', 'a', { rules: [{ steps: [{ text: 'other a' }] }] }, 5);
      assert.deepEqual(await source.get('a', 'p'), { rules: [{ steps: [{ text: 'a' }] }] });
      assert.deepEqual(await source.get('a', 'other'), { rules: [{ steps: [{ text: 'other a' }] }] });
      assert.deepEqual(await source.get('a', 'third'), wide.a);
      assert.deepEqual(await source.get('shared', 'p'), wide.shared);
      assert.deepEqual(await source.list!('other'), ['a', 'shared']);
    });
  });
}

for (const dialect of ['sqlite', 'postgres'] as const) {
  test(`scripts stored before they had a project move to the default project (${dialect})`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'assistd-scripts-migration-'));
    const url = dialect === 'postgres' ? await createTestDatabase() : undefined;
    const db = new Kysely<any>({
      dialect: url ? new PostgresDialect({ pool: new pg.Pool({ connectionString: url, max: 1 }) }) : new SqliteDialect({ database: new Sqlite(join(dir, 'old.db')) }),
    });
    try {
      const migrator = new Migrator({ db, provider: migrationProvider(url ? postgresTypes : sqliteTypes) });
      assert.equal((await migrator.migrateTo('0007_vector_store_files_by_file')).error, undefined);
      await db.insertInto('scripts').values({ name: 'old', data: '{"rules":[{"steps":[{"text":"old"}]}]}', created_at: 1, updated_at: 2 }).execute();
      assert.equal((await migrator.migrateToLatest()).error, undefined);
      const rows = await db.selectFrom('scripts').selectAll().execute();
      assert.deepEqual(rows.map((r) => [r.project, r.name, Number(r.created_at), Number(r.updated_at)]), [['default', 'old', 1, 2]]);
      // The key is (project, name) now: another project may use the same name.
      await db.insertInto('scripts').values({ project: 'other', name: 'old', data: '{}', created_at: 3, updated_at: 3 }).execute();
      await assert.rejects(db.insertInto('scripts').values({ project: 'other', name: 'old', data: '{}', created_at: 4, updated_at: 4 }).execute());
    } finally {
      await db.destroy();
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
