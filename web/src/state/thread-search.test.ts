import assert from 'node:assert/strict';
import { test } from 'node:test';
import { threadListParams } from './thread-search';

test('the finder query becomes thread list parameters, whole days inclusive', () => {
  const result = threadListParams({ metadata: ' customer = acme ', from: '2026-01-02', to: '2026-01-02' });
  assert.ok(result.ok);
  assert.equal(result.params['metadata[customer]'], 'acme');
  const after = Number(result.params.created_after);
  const before = Number(result.params.created_before);
  assert.equal(before - after, 86_400 + 1);
  assert.deepEqual(threadListParams({ metadata: 'no-equals', from: '', to: '' }), { ok: false, error: 'Metadata filter: write key=value.' });
  assert.deepEqual(threadListParams({ metadata: '', from: '', to: '' }), { ok: true, params: {} });
});
