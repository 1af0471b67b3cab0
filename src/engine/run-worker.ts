import type { Logger } from 'pino';
import { newId } from '../domain/ids.js';
import { executeRun, LEASE_LOST, type RunLoopDeps } from './run-loop.js';
import { expireRun } from './run-expiry.js';

/** Wakes workers in other processes: a run was created or resumed (payload: run id). */
const RUNS_CHANNEL = 'assistd_runs';
/** Asks the process holding a run to abort its model call (payload: run id). */
const CANCEL_CHANNEL = 'assistd_run_cancel';

export interface RunWorkerOptions {
  /** How long a claim lasts without renewal; a crashed worker's runs are taken over after it lapses. */
  leaseMs?: number;
  /** How often to look for claimable and expired runs. */
  pollMs?: number;
  /** Runs executed at once by this process. */
  capacity?: number;
  /** Unix milliseconds; tests move time forward to expire runs. */
  clock?: () => number;
  logger?: Logger;
}

/**
 * Claims runs from the runs table and executes them. Every process running `assistd serve` has one; they share
 * the work through leases (SKIP LOCKED on Postgres) and wake each other with NOTIFY. `kick` after a run is
 * created or resumed, `cancel` after a cancel request.
 */
export interface RunWorker {
  start(): Promise<void>;
  kick(project: string, runId: string): void;
  /** Aborts the run's model call wherever it executes. */
  cancel(runId: string): void;
  /** Resolves when nothing is in flight in this process. */
  idle(): Promise<void>;
  /** Stops claiming, aborts everything in flight and waits for it to settle. */
  close(): Promise<void>;
}

interface Flight {
  controller: AbortController;
  again: boolean;
  done: Promise<void>;
}

export function createRunWorker(deps: RunLoopDeps, options: RunWorkerOptions = {}): RunWorker {
  const { store, events } = deps;
  const leaseMs = options.leaseMs ?? 30_000;
  const pollMs = options.pollMs ?? 1000;
  const capacity = options.capacity ?? 512;
  const clock = options.clock ?? Date.now;
  const logger = options.logger;
  const owner = newId('worker_');
  const flights = new Map<string, Flight>();
  const timers: NodeJS.Timeout[] = [];
  const unlisten: Array<() => Promise<void>> = [];
  let closed = false;
  let polling = false;

  function execute(project: string, runId: string, resumed: boolean): void {
    const flight: Flight = { controller: new AbortController(), again: false, done: Promise.resolve() };
    flights.set(runId, flight);
    let failed = false;
    flight.done = (async () => {
      await events.open(project, runId);
      await executeRun(deps, project, runId, flight.controller.signal, resumed);
    })()
      .catch((err: unknown) => {
        // The lease is kept and left to lapse: the next claim sees it as resumed and fails the run cleanly.
        failed = true;
        logger?.error({ err, runId }, 'run execution failed');
      })
      .finally(async () => {
        await events.release(runId).catch(() => {});
        if (!failed && flight.controller.signal.reason !== LEASE_LOST) await store.runQueue.release(owner, runId).catch(() => {});
        flights.delete(runId);
        if (flight.again && !closed) claim(project, runId);
      });
  }

  function claim(project: string, runId: string): void {
    if (flights.size >= capacity) return;
    store.runQueue
      .claim(owner, clock(), leaseMs, { runId })
      .then((claimed) => claimed.forEach((c) => execute(c.project, c.id, c.resumed)))
      .catch((err: unknown) => logger?.error({ err, runId, project }, 'claiming a run failed'));
  }

  async function poll(): Promise<void> {
    if (closed || polling) return;
    polling = true;
    try {
      const room = capacity - flights.size;
      if (room > 0) for (const c of await store.runQueue.claim(owner, clock(), leaseMs, { limit: Math.min(room, 64) })) execute(c.project, c.id, c.resumed);
      for (const run of await store.runQueue.expired(clock(), 32)) await expireRun(store, events, run.project, run.id);
    } catch (err) {
      logger?.error({ err }, 'polling for runs failed');
    } finally {
      polling = false;
    }
  }

  async function heartbeat(): Promise<void> {
    const held = [...flights.keys()];
    if (held.length === 0) return;
    try {
      const kept = new Set(await store.runQueue.renew(owner, held, clock(), leaseMs));
      for (const runId of held) if (!kept.has(runId)) flights.get(runId)?.controller.abort(LEASE_LOST);
    } catch (err) {
      logger?.error({ err }, 'renewing run leases failed');
    }
  }

  return {
    async start() {
      await events.start();
      if (store.notifications) {
        unlisten.push(await store.notifications.listen(RUNS_CHANNEL, () => void poll()));
        unlisten.push(await store.notifications.listen(CANCEL_CHANNEL, (runId) => flights.get(runId)?.controller.abort()));
      }
      timers.push(setInterval(() => void poll(), pollMs), setInterval(() => void heartbeat(), Math.max(100, leaseMs / 3)));
      for (const t of timers) t.unref();
      void poll();
    },
    kick(project, runId) {
      if (closed) return;
      // An API-only replica leaves the run to the others: wake them instead of waiting for their next poll.
      if (capacity === 0) return void store.notifications?.notify(RUNS_CHANNEL, runId).catch(() => {});
      const flight = flights.get(runId);
      if (flight) flight.again = true;
      else claim(project, runId);
    },
    cancel(runId) {
      const flight = flights.get(runId);
      if (flight) flight.controller.abort();
      else void store.notifications?.notify(CANCEL_CHANNEL, runId).catch(() => {});
    },
    async idle() {
      while (flights.size > 0) await Promise.all([...flights.values()].map((f) => f.done));
    },
    async close() {
      closed = true;
      for (const t of timers) clearInterval(t);
      for (const stop of unlisten) await stop();
      for (const flight of flights.values()) flight.controller.abort();
      await this.idle();
      await events.close();
    },
  };
}

