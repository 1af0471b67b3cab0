import type { Logger } from 'pino';
import { newId } from '../../domain/ids.js';
import { RESPONSE_LEASE_LOST as LEASE_LOST, runBackgroundResponse, type BackgroundDeps } from '../responses/background-responses.js';

/** Wakes workers in other processes: a background response was queued (payload: its id). */
const RESPONSES_CHANNEL = 'assistd_responses';
/** Asks the process running a background response to stop its model call (payload: its id). */
const CANCEL_CHANNEL = 'assistd_response_cancel';

export interface ResponseWorkerOptions {
  /** How long a claim lasts without renewal; a dead worker's responses are taken over after it lapses. */
  leaseMs?: number;
  /** How often to look for claimable responses (a safety net beside the wake-ups). */
  pollMs?: number;
  /** Background responses run at once by this process; 0 takes none (an API-only replica). */
  capacity?: number;
  clock?: () => number;
  logger?: Logger;
}

/**
 * Runs background responses from the responses table, on the same terms as runs: leases renewed while they run,
 * a lapsed lease makes a response claimable by any replica, the oldest queued first, wake-ups by NOTIFY between
 * processes. `kick` after queuing one, `cancel` after a cancel.
 */
export interface ResponseWorker {
  start(): Promise<void>;
  kick(): void;
  /** Stops the response's model call wherever it runs. */
  cancel(id: string): void;
  idle(): Promise<void>;
  /** Stops taking responses and waits up to `graceMs` for those in flight. */
  drain(graceMs: number): Promise<void>;
  /** Stops claiming, stops everything in flight and waits for it to settle. */
  close(): Promise<void>;
}

interface Flight {
  controller: AbortController;
  done: Promise<void>;
}

export function createResponseWorker(deps: BackgroundDeps, options: ResponseWorkerOptions = {}): ResponseWorker {
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
  let draining = false;
  let filling = false;
  let refill = false;
  const room = () => (closed || draining ? 0 : capacity - flights.size);

  function execute(project: string, id: string, resumed: boolean): void {
    const controller = new AbortController();
    let failed = false;
    const done = (async () => {
      await events.open(project, id);
      await runBackgroundResponse(deps, project, id, resumed, controller.signal);
    })()
      .catch((err: unknown) => {
        // The lease is left to lapse: the next claim sees the response as resumed and fails it cleanly.
        failed = true;
        logger?.error({ err, responseId: id }, 'background response failed');
      })
      .finally(async () => {
        await events.release(id).catch(() => {});
        if (!failed && controller.signal.reason !== LEASE_LOST) await store.responses.release(owner, id).catch(() => {});
        flights.delete(id);
        fill();
      });
    flights.set(id, { controller, done });
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
      } while (refill && !closed);
    })()
      .catch((err: unknown) => logger?.error({ err }, 'claiming background responses failed'))
      .finally(() => (filling = false));
  }

  async function heartbeat(): Promise<void> {
    const held = [...flights.keys()];
    if (held.length === 0) return;
    try {
      const kept = new Set(await store.responses.renew(owner, held, clock(), leaseMs));
      for (const id of held) if (!kept.has(id)) flights.get(id)?.controller.abort(LEASE_LOST);
    } catch (err) {
      logger?.error({ err }, 'renewing response leases failed');
    }
  }

  return {
    async start() {
      if (store.notifications) {
        unlisten.push(await store.notifications.listen(RESPONSES_CHANNEL, () => fill()));
        unlisten.push(await store.notifications.listen(CANCEL_CHANNEL, (id) => flights.get(id)?.controller.abort()));
      }
      timers.push(setInterval(fill, pollMs), setInterval(() => void heartbeat(), Math.max(100, leaseMs / 3)));
      for (const t of timers) t.unref();
      fill();
    },
    kick() {
      if (closed) return;
      // A replica without a free slot (API-only, stopping or full) wakes the others at once.
      if (room() <= 0) void store.notifications?.notify(RESPONSES_CHANNEL, 'queued').catch(() => {});
      else fill();
    },
    cancel(id) {
      const flight = flights.get(id);
      if (flight) flight.controller.abort();
      else void store.notifications?.notify(CANCEL_CHANNEL, id).catch(() => {});
    },
    async idle() {
      while (flights.size > 0) await Promise.all([...flights.values()].map((f) => f.done));
    },
    async drain(graceMs) {
      draining = true;
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)));
      await Promise.race([this.idle(), deadline]);
      clearTimeout(timer);
    },
    async close() {
      closed = true;
      for (const t of timers) clearInterval(t);
      for (const stop of unlisten) await stop();
      for (const flight of flights.values()) flight.controller.abort();
      await this.idle();
    },
  };
}
