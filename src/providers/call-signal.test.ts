import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CallSignal } from './call-signal.js';
import { sleep } from './retry.js';

describe('call signal', () => {
  test('runs each listener once, in order, and not those removed', () => {
    const signal = new CallSignal();
    const seen: string[] = [];
    const removed = () => seen.push('removed');
    signal.addEventListener('abort', () => seen.push('a'));
    signal.addEventListener('abort', removed);
    signal.addEventListener('abort', () => seen.push('b'));
    signal.removeEventListener('abort', removed);
    signal.abort();
    signal.abort();
    assert.deepEqual(seen, ['a', 'b']);
    assert.equal(signal.aborted, true);
    assert.equal((signal.reason as DOMException).name, 'AbortError');
  });

  test('keeps the reason it was given, and cuts a wait short', async () => {
    const signal = new CallSignal();
    const reason = new Error('deadline');
    setTimeout(() => signal.abort(reason), 5);
    const started = performance.now();
    await assert.rejects(sleep(60_000, signal), (err) => err === reason);
    assert.ok(performance.now() - started < 10_000);
  });
});
