import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RateLimitSettings } from '../config.js';
import { unmatchedKeyEntries } from './key-limits.js';

describe('unmatchedKeyEntries', () => {
  it('names the entries that match no key by id or by name', () => {
    const settings: RateLimitSettings = { key: {}, keys: new Map([['key_a', {}], ['batch', {}], ['key_typo', {}]]), project: () => ({}) };
    const keys = [{ id: 'key_a', name: '' }, { id: 'key_b', name: 'batch' }];
    assert.deepEqual(unmatchedKeyEntries(settings, keys), ['key_typo']);
  });
});
