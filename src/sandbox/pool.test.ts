import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type WarmWorker, WarmPool } from './pool.js';

/** A pool over fake workers whose starts finish when the test says so. */
function fakePool(size: number) {
  const starts: Array<(warm: WarmWorker) => void> = [];
  const discarded: number[] = [];
  let next = 0;
  const startOne = () => new Promise<WarmWorker>((resolve) => starts.push(resolve));
  const finish = (count = starts.length) => {
    for (const resolve of starts.splice(0, count)) resolve({ home: { uid: next++ }, worker: { alive: true } } as unknown as WarmWorker);
  };
  const pool = new WarmPool(size, startOne, async (warm) => void discarded.push(warm.home.uid));
  return { pool, starts, finish, discarded };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('warm pool', () => {
  it('gives a burst beyond the pool the refills in flight first, in order, and starts no spare worker meanwhile', async () => {
    const { pool, starts, finish } = fakePool(2);
    pool.fill();
    finish();
    await tick();
    const taken = Array.from({ length: 6 }, () => pool.take());
    await tick();
    // 2 taken from the pool, 2 refills in flight claimed by the next two takers, 2 started by their takers.
    assert.equal(starts.length, 4);
    finish();
    const uids = (await Promise.all(taken)).map((warm) => warm.home.uid);
    assert.deepEqual(uids.slice(0, 4), [0, 1, 2, 3], 'pool first, then the refills, in arrival order');
    assert.equal(new Set(uids).size, 6);
    await tick();
    assert.equal(starts.length, 2, 'after the burst the pool refills to its size');
    finish();
    await tick();
    assert.equal(pool.idle, 2);
    await pool.close();
  });
});
