import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ID_PREFIX, newId } from '../domain/ids.js';
import { buildMessage } from '../domain/messages.js';
import { createStore } from './create-store.js';

test('the log is copied into the database file by the checkpointer, not left for the writer', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'assistd-checkpoint-'));
  const store = createStore({ dataDir: dir });
  try {
    await store.migrate();
    const file = join(dir, 'assistd.sqlite');
    await new Promise((r) => setTimeout(r, 400));
    const before = statSync(file).size;
    const threadId = newId(ID_PREFIX.thread);
    // About 2 MB of pages: far below the writer's own threshold, so only the worker can move them.
    await store.transaction(async (tx) => {
      for (let i = 0; i < 2000; i++) await tx.messages.insert('p', buildMessage(threadId, { role: 'user', content: `message ${i} ${'x'.repeat(800)}` }));
    });
    let grown = 0;
    for (let i = 0; i < 50 && grown < 1_000_000; i++) {
      await new Promise((r) => setTimeout(r, 100));
      grown = statSync(file).size - before;
    }
    assert.ok(grown >= 1_000_000, `the database file grew by ${grown} bytes`);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
