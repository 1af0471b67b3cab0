import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { buildMessage } from '../domain/messages.js';
import { createSqliteStore } from './sqlite-store.js';
import type { Store } from './store.js';
import type { Run } from '../domain/types.js';

// Group commit must be invisible: each write is durable when its promise settles, a failed transaction takes
// only its own work with it, and nobody reads what is not committed yet.

describe('sqlite group commit', () => {
  let store: Store;
  let path: string;
  /** A separate connection, as another process would open it: it sees only what is committed. */
  let outside: BetterSqlite3.Database;
  const committed = (id: string) => outside.prepare('select count(*) as n from messages where id = ?').get(id) as { n: number };

  before(async () => {
    path = join(mkdtempSync(join(tmpdir(), 'assistd-group-commit-')), 'db.sqlite');
    store = createSqliteStore({ path });
    await store.migrate();
    outside = new BetterSqlite3(path, { readonly: true });
  });
  after(async () => {
    outside.close();
    await store.close();
  });

  const message = (content = 'hi') => buildMessage('thread_gc', { role: 'user', content });

  test('a write is committed when its promise resolves, in or outside a transaction', async () => {
    const plain = message();
    await store.messages.insert('p', plain);
    assert.equal(committed(plain.id).n, 1);
    const inTx = message();
    await store.transaction((tx) => tx.messages.insert('p', inTx));
    assert.equal(committed(inTx.id).n, 1);
  });

  test('concurrent transactions: the failing one rolls back alone, the others commit', async () => {
    const good = Array.from({ length: 20 }, () => message());
    const doomed = message('doomed');
    const results = await Promise.allSettled([
      ...good.slice(0, 10).map((m) => store.transaction((tx) => tx.messages.insert('p', m))),
      store.transaction(async (tx) => {
        await tx.messages.insert('p', doomed);
        throw new Error('changed my mind');
      }),
      ...good.slice(10).map((m) => store.transaction((tx) => tx.messages.insert('p', m))),
    ]);
    assert.deepEqual(results.map((r) => r.status), [...Array(10).fill('fulfilled'), 'rejected', ...Array(10).fill('fulfilled')]);
    for (const m of good) assert.equal(committed(m.id).n, 1);
    assert.equal(committed(doomed.id).n, 0);
    assert.equal(await store.messages.get('p', doomed.id), undefined);
  });

  test('a transaction that throws undoes all it wrote: compiled statements, built queries, nested transactions', async () => {
    const kept = message('kept');
    await store.messages.insert('p', kept);
    const added = message();
    const run = { id: 'run_gc_rollback', thread_id: 'thread_gc', status: 'queued', created_at: 1, expires_at: null } as unknown as Run;
    await assert.rejects(
      store.transaction(async (tx) => {
        await tx.messages.insert('p', added);
        await tx.runs.insert('p', run);
        // deleteWhere goes through Kysely's executor, not a compiled statement.
        assert.equal(await tx.messages.deleteWhere('p', { id: kept.id }), 1);
        await tx.transaction((inner) => inner.messages.overwrite('p', { ...added, metadata: { nested: 'yes' } }));
        throw new Error('changed my mind');
      }),
      /changed my mind/,
    );
    assert.equal(committed(added.id).n, 0);
    assert.equal(committed(kept.id).n, 1);
    assert.equal(await store.runs.get('p', run.id), undefined);
    // The writer is free again and the next transaction commits normally.
    await store.transaction((tx) => tx.messages.insert('p', added));
    assert.equal(committed(added.id).n, 1);
  });

  test('the transaction that opens a batch rolls back alone, and commits with those that join it', async () => {
    const first = message();
    await assert.rejects(
      store.transaction(async (tx) => {
        await tx.messages.insert('p', first);
        throw new Error('first one fails');
      }),
      /first one fails/,
    );
    assert.equal(committed(first.id).n, 0);
    const [opener, joiner, failing] = [message(), message(), message('doomed')];
    const results = await Promise.allSettled([
      store.transaction((tx) => tx.messages.insert('p', opener)),
      store.transaction((tx) => tx.messages.insert('p', joiner)),
      store.transaction(async (tx) => {
        await tx.messages.insert('p', failing);
        throw new Error('the joiner fails');
      }),
      store.messages.insert('p', first),
    ]);
    assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    for (const m of [opener, joiner, first]) assert.equal(committed(m.id).n, 1);
    assert.equal(committed(failing.id).n, 0);
  });

  test("a transaction's repositories refuse statements once it has ended", async () => {
    let leaked: Store | undefined;
    await store.transaction(async (tx) => {
      leaked = tx;
    });
    await assert.rejects(leaked!.messages.insert('p', message()), /after the transaction ended/);
  });

  test('a failing statement outside a transaction fails alone', async () => {
    const existing = message();
    await store.messages.insert('p', existing);
    const fresh = message();
    const [duplicate, ok] = await Promise.allSettled([store.messages.insert('p', existing), store.messages.insert('p', fresh)]);
    assert.equal(duplicate.status, 'rejected');
    assert.equal(ok.status, 'fulfilled');
    assert.equal(committed(fresh.id).n, 1);
  });

  test('reads outside a transaction never see uncommitted writes; the writer reads its own', async () => {
    const m = message();
    let bodyDone = false;
    let seenInside: unknown;
    const pending = store.transaction(async (tx) => {
      await tx.messages.insert('p', m);
      seenInside = await tx.messages.get('p', m.id);
      bodyDone = true;
    });
    // The batch commits after this turn of the event loop; microtasks alone cannot get there.
    while (!bodyDone) await Promise.resolve();
    assert.deepEqual(seenInside, m);
    assert.equal(await store.messages.get('p', m.id), undefined);
    assert.equal(committed(m.id).n, 0);
    await pending;
    assert.deepEqual(await store.messages.get('p', m.id), m);
  });

  test('an in-memory database, which has no second connection, reads through the writer', async () => {
    const memory = createSqliteStore({ path: ':memory:' });
    try {
      await memory.migrate();
      const m = message();
      await Promise.all([memory.messages.insert('p', m), memory.transaction((tx) => tx.messages.insert('p', message()))]);
      assert.deepEqual(await memory.messages.get('p', m.id), m);
      assert.equal(await memory.messages.count('p', { thread_id: 'thread_gc' }), 2);
    } finally {
      await memory.close();
    }
  });

  test('data survives closing and reopening the store', async () => {
    const m = message();
    await store.transaction((tx) => tx.messages.insert('p', m));
    const again = createSqliteStore({ path });
    try {
      assert.deepEqual(await again.messages.get('p', m.id), m);
    } finally {
      await again.close();
    }
  });
});
