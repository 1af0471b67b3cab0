import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AssistantCache } from './run-assistant.js';

const kept = (json: string) => ({ json, version: '1' });
const keys = (cache: AssistantCache, all: string[]) => all.filter((key) => cache.get(key) !== undefined);

describe('AssistantCache', () => {
  test('holds at most its entry count, the least recently used dropped first', () => {
    const cache = new AssistantCache(1000);
    for (let i = 0; i < 1000; i++) cache.set(`k${i}`, kept('{}'));
    assert.ok(cache.get('k0'));
    for (let i = 1000; i < 1500; i++) cache.set(`k${i}`, kept('{}'));
    assert.equal(cache.size, 1000);
    // k0 was used after k1..k999 were set: it outlived them.
    assert.deepEqual(keys(cache, ['k0', 'k1', 'k500', 'k501', 'k1499']), ['k0', 'k501', 'k1499']);
  });

  test('holds at most its size of JSON; one larger than that is not kept', () => {
    const cache = new AssistantCache(1000, 10);
    cache.set('a', kept('1234'));
    cache.set('b', kept('1234'));
    cache.set('c', kept('1234'));
    assert.deepEqual(keys(cache, ['a', 'b', 'c']), ['b', 'c']);
    cache.set('b', kept('12345678901'));
    assert.deepEqual(keys(cache, ['a', 'b', 'c']), ['c']);
    cache.set('d', kept('123456'));
    assert.deepEqual(keys(cache, ['c', 'd']), ['c', 'd']);
  });
});
