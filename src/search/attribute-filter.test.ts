import assert from 'node:assert/strict';
import { test } from 'node:test';
import { matchesFilter } from './attribute-filter.js';
import type { AttributeFilter } from './search-index.js';

const file = { team: 'blue', year: 2024, public: true, date: '2024-05-01' };
const check = (filter: AttributeFilter) => matchesFilter(file, filter);

test('comparisons on strings, numbers and booleans', () => {
  assert.equal(check({ type: 'eq', key: 'team', value: 'blue' }), true);
  assert.equal(check({ type: 'eq', key: 'team', value: 'Blue' }), false);
  assert.equal(check({ type: 'eq', key: 'public', value: true }), true);
  assert.equal(check({ type: 'eq', key: 'year', value: '2024' }), false, 'a number never equals a string');
  assert.equal(check({ type: 'ne', key: 'team', value: 'red' }), true);
  assert.equal(check({ type: 'ne', key: 'team', value: 'blue' }), false);
  assert.equal(check({ type: 'gt', key: 'year', value: 2023 }), true);
  assert.equal(check({ type: 'gt', key: 'year', value: 2024 }), false);
  assert.equal(check({ type: 'gte', key: 'year', value: 2024 }), true);
  assert.equal(check({ type: 'lt', key: 'year', value: 2025 }), true);
  assert.equal(check({ type: 'lte', key: 'year', value: 2023 }), false);
  assert.equal(check({ type: 'gte', key: 'date', value: '2024-01-01' }), true, 'ISO dates order as strings');
  assert.equal(check({ type: 'lt', key: 'date', value: '2024-01-01' }), false);
  assert.equal(check({ type: 'gt', key: 'year', value: '2000' }), false, 'no ordering across types');
  assert.equal(check({ type: 'in', key: 'team', value: ['red', 'blue'] }), true);
  assert.equal(check({ type: 'in', key: 'year', value: [2023] }), false);
  assert.equal(check({ type: 'nin', key: 'team', value: ['red', 'green'] }), true);
  assert.equal(check({ type: 'nin', key: 'team', value: ['blue'] }), false);
});

test('a missing attribute fails everything but ne and nin', () => {
  for (const type of ['eq', 'gt', 'gte', 'lt', 'lte'] as const) assert.equal(check({ type, key: 'owner', value: 'x' }), false, type);
  assert.equal(check({ type: 'in', key: 'owner', value: ['x'] }), false);
  assert.equal(check({ type: 'ne', key: 'owner', value: 'x' }), true);
  assert.equal(check({ type: 'nin', key: 'owner', value: ['x'] }), true);
});

test('and / or nest', () => {
  const blueRecent: AttributeFilter = { type: 'and', filters: [{ type: 'eq', key: 'team', value: 'blue' }, { type: 'gte', key: 'year', value: 2024 }] };
  assert.equal(check(blueRecent), true);
  assert.equal(check({ type: 'and', filters: [blueRecent, { type: 'eq', key: 'public', value: false }] }), false);
  assert.equal(check({ type: 'or', filters: [{ type: 'eq', key: 'team', value: 'red' }, blueRecent] }), true);
  assert.equal(check({ type: 'or', filters: [{ type: 'eq', key: 'team', value: 'red' }, { type: 'lt', key: 'year', value: 2000 }] }), false);
  assert.equal(check({ type: 'and', filters: [] }), true);
  assert.equal(check({ type: 'or', filters: [] }), false);
});
