import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Store } from '../../store/store.js';
import { createSessionAffinity } from './session-affinity.js';

/** The ownership rows (thread → owner) and each renewal's threads, in memory. */
function fakeStore() {
  const rows = new Map<string, string>();
  const renewals: string[][] = [];
  const threadSessions = {
    async take(threadId: string, owner: string) {
      const previous = rows.get(threadId);
      rows.set(threadId, owner);
      return previous;
    },
    async renew(_owner: string, ids: string[]) {
      renewals.push([...ids].sort());
    },
    async release(owner: string, ids?: string[]) {
      for (const id of ids ?? [...rows.keys()]) if (rows.get(id) === owner) rows.delete(id);
    },
    async prune() {},
    async heldByOthers() {
      return [];
    },
  };
  const notifications = { listen: async () => async () => undefined, notify: async () => undefined };
  return { store: { threadSessions, notifications } as unknown as Store, rows, renewals };
}

describe('session affinity', () => {
  it('gives up a thread whose session the sandbox ended and renews only the live ones', async () => {
    const { store, rows, renewals } = fakeStore();
    const affinity = createSessionAffinity(store, { owner: 'worker_a', leaseMs: 300, idleMs: 60_000 });
    await affinity.start();
    try {
      await affinity.take('thread_1', 'cntr_1');
      await affinity.take('thread_2', 'cntr_2');
      await affinity.ended('cntr_1');
      assert.deepEqual([...rows.keys()], ['thread_2']);
      const seen = renewals.length;
      await new Promise((resolve) => setTimeout(resolve, 400));
      assert.ok(renewals.length > seen, 'renewed meanwhile');
      for (const renewed of renewals.slice(seen)) assert.deepEqual(renewed, ['thread_2']);
      // The thread's next code call takes it again, in a fresh session: not a reset (no other replica held it).
      assert.deepEqual(await affinity.take('thread_1', 'cntr_1'), { reset: false });
      assert.equal(rows.get('thread_1'), 'worker_a');
    } finally {
      await affinity.close();
    }
  });
});
