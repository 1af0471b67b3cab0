import type { Logger } from 'pino';
import { WORK_RUN_STATUSES } from '../../domain/run-status.js';
import type { Run } from '../../domain/types.js';
import { executeRun, LEASE_LOST, type RunLoopDeps, type StartedRun } from '../runs/run-loop.js';
import { expireRun } from '../runs/run-expiry.js';
import type { Flight, WorkKind, WorkPool } from './work-pool.js';

export interface RunWorkerOptions {
  logger?: Logger;
  /** Where threads' code sessions live: a run handed to this worker whose session is elsewhere goes back to the queue. */
  sessions?: { livesElsewhere(threadId: string): boolean };
  /** Wraps each execution of a run (tracing); `execute` resolves with the run as it left it. */
  around?: (project: string, runId: string, execute: () => Promise<Run | undefined>) => Promise<Run | undefined>;
}

/**
 * The runs' side of the process's one worker (work-pool.ts): claims runs from the runs table, executes them,
 * expires those past their deadline. `kick` after a run is created or resumed, `cancel` after a cancel request.
 */
export interface RunWorker {
  kick(project: string, runId: string): void;
  /**
   * Takes a slot in this process for a run about to be queued (created, or given its tool outputs), so the API
   * can write the lease in the same transaction and start the run here at once: no claim, no wait. Undefined
   * when this process takes no runs, is full, or is still finishing the run's previous turn; then queue the
   * run and `kick`.
   */
  reserve(runId: string): RunHandoff | undefined;
  /** Aborts the run's model call wherever it executes. */
  cancel(runId: string): void;
}

/** A reserved slot: write `hold` in the transaction that queues the run, then `start` it, or `drop` the slot. */
export interface RunHandoff {
  /** The lease to write on the run: this worker's id and until when (unix ms). */
  owner: string;
  leaseUntil: number;
  /**
   * Executes the run, whose lease the committed transaction wrote and whose event log is open here; `started`
   * when that transaction also moved it to in_progress (executeRun).
   */
  start(project: string, runId: string, started?: StartedRun): void;
  /** Frees the slot: the transaction failed. */
  drop(): void;
}

export function createRunWorker(deps: RunLoopDeps, pool: WorkPool, options: RunWorkerOptions = {}): RunWorker {
  const { store, events } = deps;
  const { owner, clock } = pool;
  const logger = options.logger;
  const loopDeps: RunLoopDeps = logger && !deps.logger ? { ...deps, logger } : deps;

  /** Executes a run this worker holds; `opened` when its event log was opened here already (a handoff). */
  function execute(project: string, runId: string, resumed: boolean, opened = false, started?: StartedRun): void {
    let failed = false;
    // A run that stopped needing a worker gave its lease up in the write that moved it (see runColumns).
    let settled = false;
    const body = async (flight: Flight) => {
      try {
        if (!opened) await events.open(project, runId);
        const run = () => executeRun(loopDeps, project, runId, flight.controller.signal, resumed, started);
        const last = await (options.around ? options.around(project, runId, run) : run());
        settled = last !== undefined && !WORK_RUN_STATUSES.includes(last.status);
      } catch (err) {
        // The lease is kept and left to lapse: the next claim sees it as resumed and fails the run cleanly.
        failed = true;
        logger?.error({ err, runId }, 'run execution failed');
      }
    };
    pool.add(kind, runId, body, async (flight) => {
      await events.release(runId).catch(() => {});
      if (!failed && !settled && flight.controller.signal.reason !== LEASE_LOST) await store.runQueue.release(owner, runId).catch(() => {});
    });
  }

  const kind: WorkKind = {
    label: 'run',
    wakeChannel: 'assistd_runs',
    cancelChannel: 'assistd_run_cancel',
    claim: (holder, now, leaseMs, limit) => store.runQueue.claim(holder, now, leaseMs, { limit }),
    oldest: (holder, now) => store.runQueue.oldestClaimable(holder, now),
    renew: (holder, ids, now, leaseMs) => store.runQueue.renew(holder, ids, now, leaseMs),
    start: (c) => execute(c.project, c.id, c.resumed),
    leaseLost: LEASE_LOST,
    async poll() {
      for (const run of await store.runQueue.expired(clock(), 32)) await expireRun(store, events, run.project, run.id);
    },
  };
  pool.register(kind);

  /** Gives a run this worker holds back to the queue and wakes the others: the replica with its thread's session claims it. */
  async function handBack(runId: string): Promise<void> {
    await events.release(runId).catch(() => {});
    await store.runQueue.release(owner, runId).catch(() => {});
    await store.notifications?.notify(kind.wakeChannel, runId).catch(() => {});
  }

  return {
    kick: (_project, runId) => pool.kick(kind, runId),
    reserve(runId) {
      // Behind queued runs a new one queues too: the handoff would let it overtake them.
      if (pool.backlogged(kind) || pool.room() <= 0 || pool.get(runId)) return undefined;
      const settle = pool.reserve();
      return {
        owner,
        leaseUntil: clock() + pool.leaseMs,
        start(project, runId, started) {
          if (!settle()) return;
          // A worker closed meanwhile leaves the lease to lapse; the next process to claim the run executes it.
          if (pool.closed) return void events.release(runId).catch(() => {});
          if (started && options.sessions?.livesElsewhere(started.run.thread_id)) return void handBack(runId);
          execute(project, runId, false, true, started);
        },
        drop: () => void settle(),
      };
    },
    cancel: (runId) => pool.cancel(kind, runId),
  };
}
