import type { Logger } from 'pino';
import { RESPONSE_LEASE_LOST as LEASE_LOST, runBackgroundResponse, type BackgroundDeps } from '../responses/background-responses.js';
import type { Flight, WorkKind, WorkPool } from './work-pool.js';

/** Wakes workers in other processes: a background response was queued (payload: its id). */
const RESPONSES_CHANNEL = 'assistd_responses';
/** Asks the process running a background response to stop its model call (payload: its id). */
const CANCEL_CHANNEL = 'assistd_response_cancel';

export interface ResponseWorkerOptions {
  /** How often to look for claimable responses (a safety net beside the wake-ups). */
  pollMs?: number;
  logger?: Logger;
}

/**
 * Runs background responses from the responses table, in the same pool as runs (one capacity, one heartbeat
 * renewing both kinds of lease): a lapsed lease makes a response claimable by any replica, the oldest queued
 * first, wake-ups by NOTIFY between processes. `kick` after queuing one, `cancel` after a cancel.
 */
export interface ResponseWorker {
  start(): Promise<void>;
  kick(): void;
  /** Stops the response's model call wherever it runs. */
  cancel(id: string): void;
  /** Stops claiming and listening; what is in flight is the pool's to stop (the run worker closes it). */
  close(): Promise<void>;
}

export function createResponseWorker(deps: BackgroundDeps, pool: WorkPool, options: ResponseWorkerOptions = {}): ResponseWorker {
  const { store, events } = deps;
  const { owner, leaseMs, clock } = pool;
  const pollMs = options.pollMs ?? 1000;
  const logger = options.logger;
  const kind: WorkKind = {
    label: 'response',
    renew: (holder, ids, now, ms) => store.responses.renew(holder, ids, now, ms),
    leaseLost: LEASE_LOST,
  };
  const timers: NodeJS.Timeout[] = [];
  const unlisten: Array<() => Promise<void>> = [];
  let filling = false;
  let refill = false;
  const room = () => pool.room();

  function execute(project: string, id: string, resumed: boolean): void {
    let failed = false;
    const body = async (flight: Flight) => {
      try {
        await events.open(project, id);
        await runBackgroundResponse(deps, project, id, resumed, flight.controller.signal);
      } catch (err) {
        // The lease is left to lapse: the next claim sees the response as resumed and fails it cleanly.
        failed = true;
        logger?.error({ err, responseId: id }, 'background response failed');
      }
    };
    pool.add(kind, id, body, async (flight) => {
      await events.release(id).catch(() => {});
      if (!failed && flight.controller.signal.reason !== LEASE_LOST) await store.responses.release(owner, id).catch(() => {});
    });
  }

  /** Claims the oldest queued responses while slots are free; one claimer at a time. */
  function fill(): void {
    if (room() <= 0) return;
    if (filling) return void (refill = true);
    filling = true;
    void (async () => {
      do {
        refill = false;
        while (room() > 0) {
          const limit = Math.min(room(), 64);
          const claimed = await store.responses.claim(owner, clock(), leaseMs, limit);
          for (const c of claimed) execute(c.project, c.id, c.resumed);
          if (claimed.length < limit) break;
        }
      } while (refill && !pool.closed);
    })()
      .catch((err: unknown) => logger?.error({ err }, 'claiming background responses failed'))
      .finally(() => (filling = false));
  }

  return {
    async start() {
      pool.onFreed(() => fill());
      if (store.notifications) {
        unlisten.push(await store.notifications.listen(RESPONSES_CHANNEL, () => fill()));
        unlisten.push(await store.notifications.listen(CANCEL_CHANNEL, (id) => pool.get(id)?.controller.abort()));
      }
      timers.push(setInterval(fill, pollMs));
      for (const t of timers) t.unref();
      fill();
    },
    kick() {
      if (pool.closed) return;
      // A replica without a free slot (API-only, stopping or full) wakes the others at once.
      if (room() <= 0) void store.notifications?.notify(RESPONSES_CHANNEL, 'queued').catch(() => {});
      else fill();
    },
    cancel(id) {
      const flight = pool.get(id);
      if (flight) flight.controller.abort();
      else void store.notifications?.notify(CANCEL_CHANNEL, id).catch(() => {});
    },
    async close() {
      for (const t of timers) clearInterval(t);
      for (const stop of unlisten) await stop();
    },
  };
}
