import { BadRequestError } from '../../domain/errors.js';
import type { Store } from '../../store/store.js';

/**
 * Throws the hosted API's 400 when a run holds the thread (queued, in_progress, requires_action or
 * cancelling). Call it inside the transaction that writes: it locks the thread first, so two concurrent
 * creates cannot both see it free. Message creates take the lock shared: they only need to exclude run creates.
 */
export async function assertThreadUnlocked(store: Store, project: string, threadId: string, mode: 'exclusive' | 'shared' = 'exclusive'): Promise<void> {
  await store.lockThread(project, threadId, mode);
  const runId = await store.runQueue.activeRunId(project, threadId);
  if (runId) throw new BadRequestError(`Thread ${threadId} already has an active run ${runId}.`, null, 'thread_locked');
}
