import type { Logger } from 'pino';
import { WORK_RUN_STATUSES } from '../../domain/run-status.js';
import type { Run } from '../../domain/types.js';
import { executeRun, LEASE_LOST, type RunLoopDeps } from '../runs/run-loop.js';
import { expireRun } from '../runs/run-expiry.js';
import type { Flight, WorkKind, WorkPool } from './work-pool.js';

/** Wakes workers in other processes: a run was created or resumed (payload: run id). */
const RUNS_CHANNEL = 'assistd_runs';
/** Asks the process holding a run to abort its model call (payload: run id). */
const CANCEL_CHANNEL = 'assistd_run_cancel';

export interface RunWorkerOptions {
  /** How often to look for claimable and expired runs (a safety net: queued runs are taken as slots free). */
  pollMs?: number;
  logger?: Logger;
  /** Where threads' code sessions live: a run handed to this worker whose session is elsewhere goes back to the queue. */
  sessions?: { livesElsewhere(threadId: string): boolean };
  /** Wraps each execution of a run (tracing); `execute` resolves with the run as it left it. */
  around?: (project: string, runId: string, execute: () => Promise<Run | undefined>) => Promise<Run | undefined>;
}

/**
 * Claims runs from the runs table and executes them. Every process running `assistd serve` has one; they share
 * the work through leases (SKIP LOCKED on Postgres) and wake each other with NOTIFY. `kick` after a run is
 * created or resumed, `cancel` after a cancel request.
 */
export interface RunWorker {
  start(): Promise<void>;
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
  /**
   * Stops claiming and listening, aborts everything in the pool (runs and background responses: close the
   * response worker first) and waits for it to settle.
   */
  close(): Promise<void>;
}

/** A reserved slot: write `hold` in the transaction that queues the run, then `start` it, or `drop` the slot. */
export interface RunHandoff {
  /** The lease to write on the run: this worker's id and until when (unix ms). */
  owner: string;
  leaseUntil: number;
  /**
   * Executes the run, whose lease the committed transaction wrote and whose event log is open here; `started`
   * when that transaction also moved it to in_progress.
   */
  start(project: string, runId: string, started?: Run): void;
  /** Frees the slot: the transaction failed. */
  drop(): void;
}

/** How the pool renews run leases. */
function runKind(store: RunLoopDeps['store']): WorkKind {
  return { label: 'run', renew: (owner, ids, now, leaseMs) => store.runQueue.renew(owner, ids, now, leaseMs), leaseLost: LEASE_LOST };
}

export function createRunWorker(deps: RunLoopDeps, pool: WorkPool, options: RunWorkerOptions = {}): RunWorker {
  const { store, events } = deps;
  const { owner, leaseMs, clock } = pool;
  const pollMs = options.pollMs ?? 1000;
  const logger = options.logger;
  const loopDeps: RunLoopDeps = logger && !deps.logger ? { ...deps, logger } : deps;
  const kind = runKind(store);
  const timers: NodeJS.Timeout[] = [];
  const unlisten: Array<() => Promise<void>> = [];
  let polling = false;
  const room = () => pool.room();
  /**
   * Queued runs may be waiting for a worker (one was queued here or, by NOTIFY, elsewhere): slots go to them,
   * oldest first, and no new run takes the handoff fast path past them. Cleared by a claim that found fewer
   * runs than it asked for, unless another was heard of meanwhile (`heard` moved on).
   */
  let backlog = true;
  let heard = 0;
  let filling = false;
  let refill = false;

  /** Executes a run this worker holds; `opened` when its event log was opened here already (a handoff). */
  function execute(project: string, runId: string, resumed: boolean, opened = false, started?: Run): void {
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

  /** A queued run exists somewhere: take the oldest ones into the free slots now. */
  function heardOfQueued(): void {
    backlog = true;
    heard++;
    fill();
  }

  /** Claims the oldest queued runs while slots are free and runs are queued; one claimer at a time. */
  function fill(): void {
    if (!backlog || room() <= 0) return;
    if (filling) return void (refill = true);
    filling = true;
    void (async () => {
      do {
        refill = false;
        while (backlog && room() > 0) {
          const seen = heard;
          const limit = Math.min(room(), 64);
          const claimed = await store.runQueue.claim(owner, clock(), leaseMs, { limit });
          for (const c of claimed) execute(c.project, c.id, c.resumed);
          if (claimed.length < limit && seen === heard) backlog = false;
          // What is left is held by others (or was heard of meanwhile): their release or a NOTIFY calls again.
          if (claimed.length === 0) break;
        }
      } while (refill && !pool.closed);
    })()
      .catch((err: unknown) => logger?.error({ err }, 'claiming queued runs failed'))
      .finally(() => (filling = false));
  }

  async function poll(): Promise<void> {
    if (pool.closed || polling) return;
    polling = true;
    try {
      // Runs whose NOTIFY was missed or whose holder's lease lapsed. Looked for without holding back new runs'
      // handoff meanwhile (that cost a quarter of the throughput under load); any found go first from then on.
      if (backlog) fill();
      else if (room() > 0) {
        const claimed = await store.runQueue.claim(owner, clock(), leaseMs, { limit: Math.min(room(), 64) });
        for (const c of claimed) execute(c.project, c.id, c.resumed);
        if (claimed.length > 0) heardOfQueued();
      }
      for (const run of await store.runQueue.expired(clock(), 32)) await expireRun(store, events, run.project, run.id);
    } catch (err) {
      logger?.error({ err }, 'polling for runs failed');
    } finally {
      polling = false;
    }
  }

  /** Gives a run this worker holds back to the queue and wakes the others: the replica with its thread's session claims it. */
  async function handBack(runId: string): Promise<void> {
    await events.release(runId).catch(() => {});
    await store.runQueue.release(owner, runId).catch(() => {});
    await store.notifications?.notify(RUNS_CHANNEL, runId).catch(() => {});
  }

  return {
    async start() {
      await events.start();
      // A slot freed by either kind of work: a run asked for again meanwhile is queued now and taken in its turn.
      pool.onFreed((flight) => (flight.kind === kind && flight.again ? heardOfQueued() : fill()));
      if (store.notifications) {
        unlisten.push(await store.notifications.listen(RUNS_CHANNEL, () => heardOfQueued()));
        unlisten.push(await store.notifications.listen(CANCEL_CHANNEL, (runId) => pool.get(runId)?.controller.abort()));
      }
      timers.push(setInterval(() => void poll(), pollMs));
      for (const t of timers) t.unref();
      void poll();
    },
    kick(project, runId) {
      if (pool.closed) return;
      const flight = pool.get(runId);
      if (flight) return void (flight.again = true);
      // A replica without a free slot (API-only, stopping or full) wakes the others instead of leaving the run
      // to their poll; each takes the oldest queued runs, so this one is started in its turn.
      if (room() <= 0) void store.notifications?.notify(RUNS_CHANNEL, runId).catch(() => {});
      heardOfQueued();
    },
    reserve(runId) {
      // Behind queued runs a new one queues too: the handoff would let it overtake them.
      if (backlog || room() <= 0 || pool.get(runId)) return undefined;
      const settle = pool.reserve();
      return {
        owner,
        leaseUntil: clock() + leaseMs,
        start(project, runId, started) {
          if (!settle()) return;
          // A worker closed meanwhile leaves the lease to lapse; the next process to claim the run executes it.
          if (pool.closed) return void events.release(runId).catch(() => {});
          if (started && options.sessions?.livesElsewhere(started.thread_id)) return void handBack(runId);
          execute(project, runId, false, true, started);
        },
        drop: () => void settle(),
      };
    },
    cancel(runId) {
      const flight = pool.get(runId);
      if (flight) flight.controller.abort();
      else void store.notifications?.notify(CANCEL_CHANNEL, runId).catch(() => {});
    },
    async close() {
      for (const t of timers) clearInterval(t);
      for (const stop of unlisten) await stop();
      await pool.close();
      await events.close();
    },
  };
}
