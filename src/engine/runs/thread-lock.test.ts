import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { createTestDatabase } from '../../../test/support/postgres.js';
import { BadRequestError } from '../../domain/errors.js';
import type { Run } from '../../domain/types.js';
import { createStore } from '../../store/create-store.js';
import type { Store } from '../../store/store.js';
import { assertThreadUnlocked, refusedIfLocked } from './thread-lock.js';

// Two run creates on one thread, interleaved on Postgres: the second waits for the first's thread lock, and its
// active-run check (sent with its writes, not answered on its own) sees the first's run once that commits.

const run = (id: string) => ({ id, object: 'thread.run', created_at: 1, thread_id: 'thread_race', status: 'queued', expires_at: 2_000_000_000 }) as unknown as Run;

describe('thread lock on postgres', () => {
  let store: Store;
  before(async () => {
    store = createStore({ databaseUrl: await createTestDatabase(), dataDir: mkdtempSync(join(tmpdir(), 'assistd-lock-')) });
    await store.migrate();
    await store.threads.insert('p', { id: 'thread_race', object: 'thread', created_at: 1, metadata: {}, tool_resources: {} } as never);
  });
  after(() => store.close());

  test('a create that waits on the lock is refused, naming the run that held it; nothing of it is kept', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let locked!: () => void;
    const holding = new Promise<void>((r) => (locked = r));
    const first = refusedIfLocked('thread_race', store.transaction(async (tx) => {
      await assertThreadUnlocked(tx, 'p', 'thread_race');
      await tx.runs.insert('p', run('run_first'));
      // A statement that needs an answer: the lock is taken by the time it returns.
      await (tx as unknown as { threads: { get: (p: string, id: string) => Promise<unknown> } }).threads.get('p', 'thread_race');
      locked();
      await gate;
    }));
    await holding;
    const second = refusedIfLocked('thread_race', store.transaction(async (tx) => {
      await assertThreadUnlocked(tx, 'p', 'thread_race');
      await tx.runs.insert('p', run('run_second'));
    }));
    // The second is waiting for the lock now (give it time to reach the server), then the first commits.
    await new Promise((r) => setTimeout(r, 200));
    release();
    await first;
    await assert.rejects(second, (err) => err instanceof BadRequestError && err.message.includes('run_first'));
    assert.equal(await store.runs.get('p', 'run_second'), undefined);
    assert.equal(await store.runQueue.activeRunId('p', 'thread_race'), 'run_first');
  });
});
