import type { AttributeFilter, Attributes } from './search-index.js';

/**
 * Whether a file's attributes pass the filter, as the hosted API compares them: `eq`/`ne` on any value, the
 * ordering comparisons between two numbers or two strings, `in`/`nin` against a list. A missing attribute
 * fails every comparison except `ne` and `nin`.
 */
export function matchesFilter(attributes: Attributes, filter: AttributeFilter): boolean {
  switch (filter.type) {
    case 'and':
      return filter.filters.every((f) => matchesFilter(attributes, f));
    case 'or':
      return filter.filters.some((f) => matchesFilter(attributes, f));
    default:
      return compare(attributes[filter.key], filter.type, filter.value);
  }
}

type Value = string | number | boolean;

function compare(actual: Value | undefined, op: Exclude<AttributeFilter['type'], 'and' | 'or'>, expected: Value | Array<string | number>): boolean {
  switch (op) {
    case 'eq':
      return actual !== undefined && same(actual, expected);
    case 'ne':
      return actual === undefined || !same(actual, expected);
    case 'in':
      return actual !== undefined && Array.isArray(expected) && expected.some((e) => same(actual, e));
    case 'nin':
      return actual === undefined || !Array.isArray(expected) || !expected.some((e) => same(actual, e));
    default:
      return actual !== undefined && ordered(actual, op, expected);
  }
}

function same(actual: Value, expected: Value | Array<string | number>): boolean {
  return !Array.isArray(expected) && actual === expected;
}

function ordered(actual: Value, op: 'gt' | 'gte' | 'lt' | 'lte', expected: Value | Array<string | number>): boolean {
  if (Array.isArray(expected) || typeof actual !== typeof expected || typeof actual === 'boolean') return false;
  // Strings compare by code unit, like dates written as ISO 8601 expect; never by locale.
  const diff = actual < expected ? -1 : actual > expected ? 1 : 0;
  if (op === 'gt') return diff > 0;
  if (op === 'gte') return diff >= 0;
  if (op === 'lt') return diff < 0;
  return diff <= 0;
}
