import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkFunctionDefinition, FUNCTION_TEMPLATE } from './function-schema';

test('accepts the template and a minimal definition', () => {
  assert.equal(checkFunctionDefinition(FUNCTION_TEMPLATE).ok, true);
  assert.deepEqual(checkFunctionDefinition('{"name": "ping"}'), { ok: true, value: { name: 'ping' } });
});

test('names the first problem of a bad definition', () => {
  const cases: Array<[string, RegExp]> = [
    ['{', /^Not valid JSON/],
    ['[]', /must be a JSON object/],
    ['{"name": "has space"}', /name must be 1-64 characters/],
    ['{"name": "f", "params": {}}', /Unknown field 'params'/],
    ['{"name": "f", "parameters": {"type": "array"}}', /type 'object'/],
    ['{"name": "f", "parameters": {"type": "object", "properties": {"a": {"type": "text"}}}}', /parameters\.properties\.a\.type 'text' is not a JSON-schema type/],
    ['{"name": "f", "parameters": {"type": "object", "properties": {}, "required": ["a"]}}', /required names 'a'/],
    ['{"name": "f", "parameters": {"type": "object", "properties": {"l": {"type": "array", "items": {"type": 3}}}}}', /items\.type '3'/],
  ];
  for (const [text, error] of cases) {
    const checked = checkFunctionDefinition(text);
    assert.equal(checked.ok, false, text);
    assert.match(!checked.ok ? checked.error : '', error, text);
  }
});
