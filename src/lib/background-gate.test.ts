import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createBackgroundGate } from './background-gate.js';

/** A foreground that tests switch by hand, and a clock they move. */
function harness(intervalMs: number) {
  let busy = false;
  let clock = 0;
  const listeners = new Set<() => void>();
  const gate = createBackgroundGate({
    intervalMs,
    busy: () => busy,
    onIdle: (l) => (listeners.add(l), () => listeners.delete(l)),
    now: () => clock,
  });
  return {
    gate,
    setBusy(on: boolean) {
      busy = on;
      if (!on) for (const l of [...listeners]) l();
    },
    advance: (ms: number) => void (clock += ms),
    listeners: () => listeners.size,
  };
}

/** Passes `n` steps through the gate; returns the order in which they got through. */
function queueSteps(gate: ReturnType<typeof createBackgroundGate>, n: number): number[] {
  const order: number[] = [];
  for (let i = 0; i < n; i++) {
    const p = gate.pass();
    if (p) void p.then(() => order.push(i));
    else order.push(i);
  }
  return order;
}

const turn = () => new Promise((resolve) => setImmediate(resolve));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Waits (generously: the machine may be loaded) until `ready` holds. */
async function until(ready: () => boolean): Promise<void> {
  for (const deadline = Date.now() + 10_000; !ready(); await sleep(5)) assert.ok(Date.now() < deadline, 'timed out');
}

describe('background gate', () => {
  it('lets steps through at once while nothing foreground is in flight', () => {
    const { gate } = harness(1000);
    assert.equal(gate.pass(), undefined);
    assert.equal(gate.pass(), undefined);
    assert.equal(gate.waiting(), 0);
  });

  it('holds steps while foreground work is in flight and lets them through, in order, one per turn, when it ends', async () => {
    const h = harness(60_000);
    h.setBusy(true);
    const order = queueSteps(h.gate, 3);
    await sleep(20);
    assert.deepEqual(order, [], 'nothing passes while foreground work is in flight');
    assert.equal(h.gate.waiting(), 3);
    h.setBusy(false);
    assert.equal(h.listeners(), 0, 'the gate stops listening once woken');
    await turn();
    assert.deepEqual(order, [0], 'one step per event-loop turn');
    await turn();
    await turn();
    assert.deepEqual(order, [0, 1, 2]);
    // A step arriving while others still wait queues behind them even though the foreground is idle.
    assert.equal(h.gate.pass(), undefined);
  });

  it('under sustained foreground load lets at most one step through per interval, so none is starved', async () => {
    const h = harness(50);
    h.setBusy(true);
    const order = queueSteps(h.gate, 3);
    await sleep(5);
    assert.deepEqual(order, []);
    h.advance(50);
    // The timer the gate set for the head (50 ms of real time) fires; the moved clock says it is due.
    await until(() => order.length > 0);
    assert.deepEqual(order, [0], 'one step once the head waited the interval');
    await sleep(120);
    assert.deepEqual(order, [0], 'the next one waits an interval after the last forced one');
    h.advance(50);
    await until(() => order.length > 1);
    assert.deepEqual(order, [0, 1]);
    h.advance(50);
    await until(() => order.length > 2);
    assert.deepEqual(order, [0, 1, 2]);
    assert.equal(h.gate.waiting(), 0);
  });

  it('lets everything through on close, and gates nothing after it', async () => {
    const h = harness(60_000);
    h.setBusy(true);
    const order = queueSteps(h.gate, 2);
    h.gate.close();
    await turn();
    assert.deepEqual(order, [0, 1]);
    assert.equal(h.gate.pass(), undefined);
    assert.equal(h.listeners(), 0);
  });

  it('is off with an interval of 0', () => {
    const h = harness(0);
    h.setBusy(true);
    assert.equal(h.gate.pass(), undefined);
  });
});
