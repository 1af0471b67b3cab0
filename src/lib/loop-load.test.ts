import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLoopLoad } from './loop-load.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('loop load', () => {
  it('is high over a window the loop spent running code and low over one it spent waiting', async () => {
    const load = createLoopLoad(50);
    for (const end = performance.now() + 80; performance.now() < end; );
    assert.ok(load() > 0.7, `busy window: ${load()}`);
    await sleep(200);
    assert.ok(load() < 0.5, `idle window: ${load()}`);
  });

  it('keeps its figure until a window has passed', () => {
    const load = createLoopLoad(60_000);
    for (const end = performance.now() + 20; performance.now() < end; );
    assert.equal(load(), 0);
  });
});
