import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { openPlanProbe, type PlanProbe } from '../../test/support/query-plans.js';
import type { Run } from '../domain/types.js';
import { createRunQueue } from './run-queue.js';

// The runs table keeps only the indexes its queries read (migration 0021 dropped two that none did). The queries
// that run all the time, the worker's claim and expiry sweep and the thread lock's check, must still find their
// rows through an index, never by reading every run ever made.

const ENDED = 3000;

function run(i: number, status: Run['status']): Run {
  return { id: `run_${String(i).padStart(8, '0')}`, object: 'thread.run', created_at: 1_700_000_000 + i, thread_id: `thread_${i % 500}`, status, expires_at: status === 'completed' ? null : 1_700_100_000 } as unknown as Run;
}

for (const dialect of ['sqlite', 'postgres'] as const) {
  describe(`the run queue's plans on ${dialect}`, () => {
    let probe: PlanProbe;
    before(async () => {
      probe = await openPlanProbe(dialect, (store) =>
        store.transaction(async (tx) => {
          for (let i = 0; i < ENDED; i++) await tx.runs.insert('p', run(i, 'completed'));
          for (let i = ENDED; i < ENDED + 4; i++) await tx.runs.insert('p', run(i, i % 2 ? 'queued' : 'requires_action'));
        }),
      );
    });
    after(() => probe.close());

    test('claim, expiry sweep and active-run checks read an index', async (t) => {
      const queue = createRunQueue(probe.db, { dialect, skipLocked: dialect === 'postgres', notify: false });
      const now = 1_700_200_000_000;
      assert.equal((await queue.claim('w', now, 60_000, { limit: 8 })).length, 2);
      // Past their expires_at: the two runs no worker holds (requires_action), not the two just claimed.
      assert.equal((await queue.expired(now, 32)).length, 2);
      assert.equal(await queue.activeRunId('p', `thread_${(ENDED + 1) % 500}`), run(ENDED + 1, 'queued').id);
      // Postgres checks it as a statement that fails when the thread is held (thread-lock.ts): a thread not held passes.
      if (queue.refuseActiveRun) await queue.refuseActiveRun('p', 'thread_10');
      const statements = probe.queries.splice(0);
      assert.equal(statements.length, dialect === 'postgres' ? 4 : 3);
      for (const query of statements) {
        const plan = await probe.explain(query);
        t.diagnostic(plan);
        assert.doesNotMatch(plan, dialect === 'sqlite' ? /\bSCAN runs\b/ : /Seq Scan on runs/, plan);
      }
    });
  });
}
