import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StartGate } from './start-gate.js';

describe('start gate', () => {
  it('runs at most `limit` tasks at once and starts the rest in arrival order, failures included', async () => {
    const gate = new StartGate(2);
    let running = 0;
    let peak = 0;
    const started: number[] = [];
    const task = (i: number) => async () => {
      started.push(i);
      running++;
      peak = Math.max(peak, running);
      await new Promise((resolve) => setTimeout(resolve, 5));
      running--;
      if (i === 1) throw new Error('start failed');
      return i;
    };
    const results = await Promise.allSettled(Array.from({ length: 6 }, (_, i) => gate.run(task(i))));
    assert.equal(peak, 2);
    assert.deepEqual(started, [0, 1, 2, 3, 4, 5]);
    assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled', 'fulfilled', 'fulfilled', 'fulfilled']);
    assert.equal(await gate.run(async () => 'free again'), 'free again');
  });
});
