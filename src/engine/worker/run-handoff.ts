import type { Run } from '../../domain/types.js';
import type { StartedRun } from '../runs/run-loop.js';
import type { Store } from '../../store/store.js';
import type { RunEventLog } from '../events/run-events.js';
import type { RunWorker } from './run-worker.js';

export interface QueuedRun<T> {
  result: T;
  /**
   * Starts the run: here at once when this process took it (`started`: what the creating transaction knows of
   * it), else by waking the workers.
   */
  start(started?: StartedRun): void;
}

/** What the queuing transaction is told: whether this process keeps the run, and how to write its lease. */
export interface Keeper {
  /** This process executes the run: the transaction may start it (in_progress) itself. */
  local: boolean;
  /** Writes the lease inside the transaction (nothing when not local). */
  hold(tx: Store): Promise<void>;
  /** Stores a new run inside the transaction, with the lease on it when local (the same as insert, then `hold`). */
  insert(tx: Store, project: string, run: Run): Promise<void>;
}

/**
 * Queues a run (created, or given its tool outputs) and, when this process has room, keeps it: `write` runs
 * the queuing transaction and calls `keeper.hold(tx)` inside it, which writes this worker's lease, so no other
 * worker can claim the run and this one needs no claim round trip. The run's event log is opened here first, so the
 * transaction's events and everything after are served to local streams from memory. `lastSeq`: the log's
 * last event number when known (0 for a new run).
 */
export async function queueRun<T>(
  deps: { runs: RunWorker; events: RunEventLog },
  project: string,
  runId: string,
  lastSeq: number | undefined,
  write: (keeper: Keeper) => Promise<T>,
): Promise<QueuedRun<T>> {
  const handoff = deps.runs.reserve(runId);
  if (!handoff) {
    const result = await write({ local: false, hold: async () => {}, insert: (tx, p, run) => tx.runs.insert(p, run) });
    return { result, start: () => deps.runs.kick(project, runId) };
  }
  try {
    await deps.events.open(project, runId, { lastSeq });
    const result = await write({
      local: true,
      hold: (tx) => tx.runQueue.hold(handoff.owner, runId, handoff.leaseUntil),
      insert: (tx, p, run) => tx.runQueue.insertHeld(p, run, handoff.owner, handoff.leaseUntil),
    });
    return { result, start: (started) => handoff.start(project, runId, started) };
  } catch (err) {
    handoff.drop();
    await deps.events.release(runId).catch(() => {});
    throw err;
  }
}
