import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Run } from '../domain/types.js';
import { createTestDatabase } from '../../test/support/postgres.js';
import { buildMessage } from '../domain/messages.js';
import { createStore } from './create-store.js';
import { isStaleWrite } from './stale-write.js';
import type { Store } from './store.js';
import type { ThreadPageQuery } from './thread-messages.js';

// Every repository behaviour, on SQLite and on a private Postgres cluster.

for (const dialect of ['sqlite', 'postgres'] as const) {
  describe(`store on ${dialect}`, () => {
    let store: Store;
    before(async () => {
      const databaseUrl = dialect === 'postgres' ? await createTestDatabase() : undefined;
      store = createStore({ databaseUrl, dataDir: mkdtempSync(join(tmpdir(), 'assistd-store-')) });
      await store.migrate();
      await store.migrate();
    });
    after(() => store.close());

    test('migrations are applied once and reported', async () => {
      assert.deepEqual(await store.pendingMigrations(), []);
      await store.ping();
      assert.equal(store.capabilities.dialect, dialect);
    });

    test('documents: insert, get, replace, delete, confined to a project', async () => {
      const message = { ...buildMessage('thread_a', { role: 'user', content: 'hello' }), run_id: 'run_1' };
      await store.messages.insert('p1', message);
      assert.deepEqual(await store.messages.get('p1', message.id), message);
      assert.equal(await store.messages.get('p2', message.id), undefined);
      assert.equal(await store.messages.replace('p2', { ...message, metadata: { x: 'y' } }), false);
      assert.equal(await store.messages.replace('p1', { ...message, metadata: { x: 'z' } }), true);
      // Its thread and run stay as inserted (they never change): the columns they are found by are not rewritten.
      assert.deepEqual((await store.messages.list('p1', { limit: 10, order: 'asc' }, { thread_id: 'thread_a', run_id: 'run_1' })).data.map((m) => m.metadata), [{ x: 'z' }]);
      assert.equal(await store.messages.delete('p2', message.id), false);
      assert.equal(await store.messages.delete('p1', message.id), true);
      assert.equal(await store.messages.get('p1', message.id), undefined);
    });

    test('documents: replaceIf writes only over the copy the caller expects', async () => {
      const message = buildMessage('thread_if', { role: 'user', content: 'hello' });
      await store.messages.insert('p1', message);
      const first = { ...message, metadata: { v: '1' } };
      assert.equal(await store.messages.replaceIf('p1', first, message), true);
      assert.equal(await store.messages.replaceIf('p1', { ...message, metadata: { v: 'stale' } }, message), false);
      assert.equal(await store.messages.replaceIf('p2', { ...first, metadata: { v: '2' } }, first), false);
      assert.deepEqual(await store.messages.get('p1', message.id), first);
    });

    test('runs: replaceIfAtCommit (Postgres) writes over the expected copy; over a changed one the whole transaction fails, writing nothing', { skip: dialect === 'sqlite' }, async () => {
      const run = { id: 'run_at_commit', object: 'thread.run', created_at: 1, thread_id: 'thread_at_commit', status: 'in_progress', expires_at: 2_000_000_000, metadata: {} } as unknown as Run;
      await store.runs.insert('p1', run);
      const done = { ...run, status: 'completed' } as Run;
      const step = { id: 'step_at_commit', object: 'thread.run.step', created_at: 1, run_id: run.id, thread_id: run.thread_id } as never;
      await store.transaction(async (tx) => {
        await tx.runs.replaceIfAtCommit!('p1', done, run);
        await tx.runSteps.insert('p1', step);
      });
      assert.deepEqual(await store.runs.get('p1', run.id), done);
      const failed = store.transaction(async (tx) => {
        await tx.runs.replaceIfAtCommit!('p1', { ...done, metadata: { stale: 'yes' } }, run);
        await tx.runSteps.insert('p1', { ...(step as object), id: 'step_at_commit_2' } as never);
      });
      await assert.rejects(failed, (err) => isStaleWrite(err));
      assert.deepEqual(await store.runs.get('p1', run.id), done);
      assert.equal(await store.runSteps.get('p1', 'step_at_commit_2'), undefined);
      // The connection is usable afterwards.
      assert.equal(await store.runs.replaceIf('p1', { ...done, metadata: { v: '2' } }, done), true);
    });

    test('thread messages: pages from a position in both orders, prompt text instead of the message, token counts kept until the next write', async () => {
      const ids: string[] = [];
      for (let i = 0; i < 25; i++) {
        const m = buildMessage('thread_counted', { role: 'user', content: String(i) }, { created_at: 1_700_000_000 + (i >> 3) });
        ids.push(m.id);
        await store.messages.insert('p1', m);
      }
      const page = (query: ThreadPageQuery) => store.threadMessages.page('p1', 'thread_counted', query);
      const first = await page({ order: 'desc', limit: 10 });
      assert.deepEqual(first.map((c) => c.id), ids.slice(15).reverse());
      assert.deepEqual(first.map((c) => [c.role, c.text, c.message]), Array.from({ length: 10 }, (_v, i) => ['user', String(24 - i), null]));
      const next = await page({ order: 'desc', limit: 10, from: first.at(-1)! });
      assert.deepEqual(next.map((c) => c.id), ids.slice(5, 15).reverse());
      const asc = await page({ order: 'asc', limit: 20, from: { created_at: 1_700_000_000, id: ids[3]! } });
      assert.deepEqual(asc.map((c) => c.id), ids.slice(4, 24));
      assert.ok(first.every((c) => c.tokens === null));
      await store.threadMessages.recordTokens('p1', ids.map((id, i) => ({ id, tokens: 100 + i })));
      await store.threadMessages.recordTokens('p2', [{ id: ids[0]!, tokens: 1 }]);
      // Kept where none is: a count recorded after another write landed never overwrites it.
      await store.threadMessages.recordTokens('p1', [{ id: ids[1]!, tokens: 7 }]);
      const edited = (await store.messages.get('p1', ids[15]!))!;
      await store.messages.replace('p1', { ...edited, metadata: { edited: 'yes' } });
      const counted = await page({ order: 'asc', limit: 100 });
      assert.deepEqual(counted.map((c) => c.tokens), ids.map((id, i) => (id === edited.id ? null : 100 + i)));

      // A message whose prompt needs more than its text is read whole; a run's own messages can be left out.
      const image = buildMessage('thread_counted', { role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://x/y.png' } }] }, { run_id: 'run_own' });
      await store.messages.insert('p1', image);
      const newest = await page({ order: 'desc', limit: 1 });
      assert.deepEqual([newest[0]!.text, newest[0]!.message], [null, image]);
      assert.equal((await page({ order: 'desc', limit: 1, exceptRun: 'run_own' }))[0]!.id, ids[24]);
      assert.equal((await page({ order: 'desc', limit: 1, exceptRun: 'run_other' }))[0]!.id, image.id);
    });

    test('keyset pagination in creation order within one second, both directions, scoped', async () => {
      const ids: string[] = [];
      for (let i = 0; i < 30; i++) {
        const m = buildMessage('thread_page', { role: 'user', content: String(i) }, { created_at: 1_700_000_000 });
        ids.push(m.id);
        await store.messages.insert('p1', m);
      }
      await store.messages.insert('p1', buildMessage('thread_other', { role: 'user', content: 'x' }));
      const scope = { thread_id: 'thread_page' };
      const asc = await store.messages.list('p1', { limit: 100, order: 'asc' }, scope);
      assert.deepEqual(asc.data.map((m) => m.id), ids);
      const desc = await store.messages.list('p1', { limit: 10, order: 'desc', after: ids[20] }, scope);
      assert.deepEqual(desc.data.map((m) => m.id), ids.slice(10, 20).reverse());
      assert.equal(desc.has_more, true);
      const before = await store.messages.list('p1', { limit: 5, order: 'desc', before: ids[10] }, scope);
      assert.deepEqual(before.data.map((m) => m.id), ids.slice(11, 16).reverse());
      assert.equal(await store.messages.count('p1', scope), 30);
      assert.equal(await store.messages.deleteWhere('p1', scope), 30);
      assert.equal(await store.messages.count('p1', scope), 0);
      await assert.rejects(store.messages.list('p1', { limit: 5, order: 'asc', after: 'msg_missing' }, scope), /after/);
    });

    test('transactions roll back as a whole', async () => {
      const m = buildMessage('thread_tx', { role: 'user', content: 'x' });
      await assert.rejects(
        store.transaction(async (tx) => {
          await tx.messages.insert('p1', m);
          throw new Error('boom');
        }),
        /boom/,
      );
      assert.equal(await store.messages.get('p1', m.id), undefined);
    });

    test('run events: written in batches, read back one by one from any seq, the last seq known', async () => {
      const record = (seq: number, event: string) => ({ seq, event, data: JSON.stringify({ seq, text: `"${event}" \\ é`, nested: { n: -0.5, ok: true, none: null } }) });
      const log = Array.from({ length: 12 }, (_, i) => record(i + 1, i === 11 ? 'thread.run.completed' : 'thread.message.delta'));
      await store.runEvents.append('p1', 'run_log', log.slice(0, 1), 1);
      await store.runEvents.append('p1', 'run_log', log.slice(1, 7), 1);
      await store.runEvents.append('p1', 'run_log', log.slice(7), 2);
      assert.equal(await store.runEvents.lastSeq('p1', 'run_log'), 12);
      assert.equal(await store.runEvents.lastSeq('p2', 'run_log'), 0);
      assert.deepEqual(await store.runEvents.read('p2', 'run_log', 0, 500), []);
      for (const after of [0, 1, 3, 7, 11, 12]) assert.deepEqual(await store.runEvents.read('p1', 'run_log', after, 500), log.slice(after), `after ${after}`);
      // A page holds whole batches: at least `limit` events, continuing where the reader stops.
      const page = await store.runEvents.read('p1', 'run_log', 0, 2);
      assert.deepEqual(page, log.slice(0, 7));
    });

    test('run events: a payload repeated by the next event is stored once and read back whole', async () => {
      const run = JSON.stringify({ id: 'run_twice', status: 'queued', tools: [{ type: 'function' }] });
      const log = [
        { seq: 1, event: 'thread.run.created', data: run },
        { seq: 2, event: 'thread.run.queued', data: run },
        { seq: 3, event: 'thread.run.step.created', data: '{"id":"step_1"}' },
        { seq: 4, event: 'thread.run.step.in_progress', data: '{"id":"step_1"}' },
        { seq: 5, event: 'thread.run.step.delta', data: '{"id":"step_1"}' },
        { seq: 6, event: 'thread.run.in_progress', data: run.replace('queued', 'in_progress') },
      ];
      await store.runEvents.append('p1', 'run_twice', log, 1);
      for (const after of [0, 1, 2, 3, 4, 5]) assert.deepEqual(await store.runEvents.read('p1', 'run_twice', after, 500), log.slice(after), `after ${after}`);
    });

    test('run events: an append wakes listeners on its channel when it commits, in the same statement', { skip: dialect === 'sqlite' && 'SQLite has no notifications' }, async () => {
      const heard: string[] = [];
      const stop = await store.notifications!.listen('assistd_test_wake', (payload) => heard.push(payload));
      try {
        await store.transaction(async (tx) => {
          await tx.runEvents.append('p1', 'run_woken', [{ seq: 1, event: 'thread.run.created', data: '{}' }], 1, 'assistd_test_wake');
          await new Promise((resolve) => setTimeout(resolve, 200));
          assert.deepEqual(heard, [], 'not before the commit');
        });
        await store.runEvents.append('p1', 'run_woken', [{ seq: 2, event: 'thread.run.queued', data: '{}' }, { seq: 3, event: 'done', data: '{}' }], 1, 'assistd_test_wake');
        for (let i = 0; i < 100 && heard.length < 2; i++) await new Promise((resolve) => setTimeout(resolve, 50));
        assert.deepEqual(heard, ['run_woken', 'run_woken']);
        assert.equal(await store.runEvents.lastSeq('p1', 'run_woken'), 3);
      } finally {
        await stop();
      }
    });

    test('run queue: a run stored held is not claimed by others until released', async () => {
      const now = Date.now();
      const run = { id: `run_held_${dialect}`, object: 'thread.run', created_at: 1, thread_id: 'thread_held', status: 'in_progress', expires_at: Math.floor(now / 1000) + 600 } as unknown as Run;
      await store.transaction((tx) => tx.runQueue.insertHeld('p1', run, 'w1', now + 60_000));
      assert.deepEqual(await store.runs.get('p1', run.id), run);
      assert.deepEqual(await store.runQueue.claim('w2', now, 60_000), []);
      await store.runQueue.release('w1', run.id);
      assert.deepEqual(await store.runQueue.claim('w2', now, 60_000), [{ project: 'p1', id: run.id, resumed: false }]);
      await assert.rejects(store.runQueue.insertHeld('p1', { ...run, id: 'run_paused', status: 'requires_action' }, 'w1', now), /not held/);
    });

    test('api keys: insert, find active, revoke', async () => {
      const key = { id: `key_${dialect}`, project: 'p1', name: 'n', hint: 'sk-...abcd', created_at: 1, revoked_at: null };
      await store.keys.insert({ ...key, hash: `hash-${dialect}` });
      assert.deepEqual(await store.keys.findActive(`hash-${dialect}`), key);
      assert.ok((await store.keys.countActive()) >= 1);
      assert.equal(await store.keys.revoke(key.id, 2), true);
      assert.equal(await store.keys.revoke(key.id, 3), false);
      assert.equal(await store.keys.findActive(`hash-${dialect}`), undefined);
    });
  });
}
