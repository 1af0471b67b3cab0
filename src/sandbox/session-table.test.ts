import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Session } from './session.js';
import { SessionTable } from './session-table.js';

/** A session that is never busy and never expires on its own; `expire` makes it expired. */
function fakeSession() {
  let expired = false;
  const session = { busy: false, expired: () => expired, close: async () => undefined } as unknown as Session;
  return { session, expire: () => void (expired = true) };
}

describe('session table', () => {
  it('names each session that leaves: evicted for room, expired, removed', async () => {
    const ended: string[] = [];
    const made = new Map<string, ReturnType<typeof fakeSession>>();
    const table = new SessionTable(1, (key) => {
      const fake = fakeSession();
      made.set(key, fake);
      return fake.session;
    }, (key) => ended.push(key));
    const use = async () => 'ran';
    await table.run('a', use, () => 'cancelled');
    await table.run('b', use, () => 'cancelled');
    assert.deepEqual(ended, ['a']);
    made.get('b')!.expire();
    await table.run('b', use, () => 'cancelled');
    assert.deepEqual(ended, ['a', 'b']);
    table.remove('b');
    assert.deepEqual(ended, ['a', 'b', 'b']);
  });
});
