import { BadRequestError, notFound } from '../../domain/errors.js';
import { isMissingThread } from '../../store/missing-thread.js';
import { activeRunOf } from '../../store/run-queue.js';
import type { Store } from '../../store/store.js';

const locked = (threadId: string, runId: string) => new BadRequestError(`Thread ${threadId} already has an active run ${runId}.`, null, 'thread_locked');

/**
 * Refuses with the hosted API's 400 when a run holds the thread (queued, in_progress, requires_action or
 * cancelling). Call it inside the transaction that writes: it locks the thread first, so two concurrent
 * creates cannot both see it free. Message creates take the lock shared: they only need to exclude run creates.
 * On Postgres the lock and the check are sent with the transaction's next statement, and a held thread fails the
 * transaction: run the transaction through `refusedIfLocked`, which turns that failure into the 400.
 * `mustExist`: the caller has not read the thread; one that is not there fails the transaction (`refusedIfLocked`
 * answers it with the 404).
 */
export async function assertThreadUnlocked(store: Store, project: string, threadId: string, mode: 'exclusive' | 'shared' = 'exclusive', mustExist = false): Promise<void> {
  await store.lockThread(project, threadId, mode, mustExist);
  // Checked after the lock is taken (statements run in order, each seeing what committed before it).
  if (store.runQueue.refuseActiveRun) return store.runQueue.refuseActiveRun(project, threadId);
  const runId = await store.runQueue.activeRunId(project, threadId);
  if (runId) throw locked(threadId, runId);
}

/**
 * `transaction` (one that calls assertThreadUnlocked), its failure over an active run answered as the 400, and
 * over a missing thread as the 404.
 */
export async function refusedIfLocked<T>(threadId: string, transaction: Promise<T>): Promise<T> {
  try {
    return await transaction;
  } catch (err) {
    if (isMissingThread(err)) throw notFound('thread', threadId);
    const runId = activeRunOf(err);
    throw runId === undefined ? err : locked(threadId, runId);
  }
}
