import assert from 'node:assert/strict';
import { test } from 'node:test';
import { IllegalTransitionError, transition } from './run-status.js';
import type { Run } from './types.js';

const run = { id: 'run_1', status: 'queued', started_at: null, required_action: null, expires_at: 100 } as unknown as Run;

test('legal transitions stamp their timestamps; terminal ones clear expires_at', () => {
  const started = transition(run, 'in_progress', 10);
  assert.equal(started.started_at, 10);
  const done = transition(started, 'completed', 20);
  assert.equal(done.completed_at, 20);
  assert.equal(done.expires_at, null);
});

test('an illegal transition throws', () => {
  assert.throws(() => transition(run, 'completed', 1), IllegalTransitionError);
  assert.throws(() => transition({ ...run, status: 'completed' }, 'in_progress', 1), IllegalTransitionError);
});
