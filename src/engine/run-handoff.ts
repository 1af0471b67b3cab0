import type { Store } from '../store/store.js';
import type { RunEventLog } from './run-events.js';
import type { RunWorker } from './run-worker.js';

export interface QueuedRun<T> {
  result: T;
  /** Starts the run: here at once when this process took it, else by waking the workers. */
  start(): void;
}

/**
 * Queues a run (created, or given its tool outputs) and, when this process has room, keeps it: `write` runs
 * the queuing transaction and calls `hold(tx)` inside it, which writes this worker's lease, so no other worker
 * can claim the run and this one needs no claim round trip. The run's event log is opened here first, so the
 * transaction's events and everything after are served to local streams from memory. `lastSeq`: the log's
 * last event number when known (0 for a new run).
 */
export async function queueRun<T>(
  deps: { runs: RunWorker; events: RunEventLog },
  project: string,
  runId: string,
  lastSeq: number | undefined,
  write: (hold: (tx: Store) => Promise<void>) => Promise<T>,
): Promise<QueuedRun<T>> {
  const handoff = deps.runs.reserve(runId);
  if (!handoff) {
    const result = await write(async () => {});
    return { result, start: () => deps.runs.kick(project, runId) };
  }
  try {
    await deps.events.open(project, runId, lastSeq);
    const result = await write((tx) => tx.runQueue.hold(handoff.owner, runId, handoff.leaseUntil));
    return { result, start: () => handoff.start(project, runId) };
  } catch (err) {
    handoff.drop();
    await deps.events.release(runId).catch(() => {});
    throw err;
  }
}
