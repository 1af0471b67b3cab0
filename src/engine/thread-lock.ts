import { BadRequestError } from '../domain/errors.js';
import { ACTIVE_RUN_STATUSES } from '../domain/run-status.js';
import type { Run } from '../domain/types.js';
import type { Store } from '../store/store.js';

/** The run holding a thread (queued, in_progress, requires_action or cancelling), if any. */
export async function activeRun(store: Store, project: string, threadId: string): Promise<Run | undefined> {
  for (const status of ACTIVE_RUN_STATUSES) {
    const page = await store.runs.list(project, { limit: 1, order: 'desc' }, { thread_id: threadId, status });
    if (page.data[0]) return page.data[0];
  }
  return undefined;
}

/** Throws the hosted API's 400 when a run holds the thread. Call it inside the transaction that writes. */
export async function assertThreadUnlocked(store: Store, project: string, threadId: string): Promise<void> {
  const run = await activeRun(store, project, threadId);
  if (run) {
    throw new BadRequestError(`Thread ${threadId} already has an active run ${run.id}.`, null, 'thread_locked');
  }
}
