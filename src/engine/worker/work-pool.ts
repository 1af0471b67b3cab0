import type { Logger } from 'pino';
import { newId } from '../../domain/ids.js';

/** One kind of leased work (runs, background responses): how its leases are renewed. */
export interface WorkKind {
  /** For logs: "run", "background response". */
  label: string;
  /** Renews this owner's leases on `ids`; resolves with the ids still held. */
  renew(owner: string, ids: string[], now: number, leaseMs: number): Promise<string[]>;
  /** The abort reason given to work whose lease was lost (its holder must not release what it no longer holds). */
  leaseLost: unknown;
}

/** Work executing in this process. */
export interface Flight {
  kind: WorkKind;
  controller: AbortController;
  /** Asked for again while it executed: queued again, to be taken in its turn. */
  again: boolean;
  done: Promise<void>;
}

export interface WorkPoolOptions {
  /** How long a claim lasts without renewal; a crashed worker's work is taken over after it lapses. */
  leaseMs?: number;
  /** Runs and background responses executed at once by this process, together; 0 takes none (API-only). */
  capacity?: number;
  /** Unix milliseconds; tests move time forward to expire runs. */
  clock?: () => number;
  logger?: Logger;
  /** This worker's id (the lease owner); a new one when absent. */
  owner?: string;
}

/**
 * What the run and background-response workers of one process share: the lease owner, one capacity, the work
 * in flight, one heartbeat renewing every lease held, and the stopping of it all. Each kind's worker claims into
 * the free slots and is told when a slot frees up, whichever kind held it.
 */
export interface WorkPool {
  readonly owner: string;
  readonly leaseMs: number;
  readonly clock: () => number;
  readonly closed: boolean;
  /** Free slots: none while draining or closed. */
  room(): number;
  /** Holds a slot for work about to be handed to this process; resolves false when already settled. */
  reserve(): () => boolean;
  /** Tracks work executing here: `body` runs with the flight's abort signal; `settle` runs after it, before the slot frees. */
  add(kind: WorkKind, id: string, body: (flight: Flight) => Promise<void>, settle: (flight: Flight) => Promise<void>): Flight;
  get(id: string): Flight | undefined;
  /** Called after a slot frees (with the flight that held it), so each kind claims what waits. */
  onFreed(listener: (flight: Flight, id: string) => void): void;
  start(): void;
  idle(): Promise<void>;
  /** Stops taking work and waits up to `graceMs` for the work in flight to finish. */
  drain(graceMs: number): Promise<void>;
  /** Stops the heartbeat, aborts everything in flight and waits for it to settle. */
  close(): Promise<void>;
}

export function createWorkPool(options: WorkPoolOptions = {}): WorkPool {
  const leaseMs = options.leaseMs ?? 30_000;
  const capacity = options.capacity ?? 512;
  const clock = options.clock ?? Date.now;
  const logger = options.logger;
  const owner = options.owner ?? newId('worker_');
  const flights = new Map<string, Flight>();
  const freed: Array<(flight: Flight, id: string) => void> = [];
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  let draining = false;
  /** Slots handed out by `reserve` and not yet started or dropped. */
  let reserved = 0;

  /** Renews every lease held here, one statement per kind; work whose lease another took is aborted. */
  async function heartbeat(): Promise<void> {
    const held = new Map<WorkKind, string[]>();
    for (const [id, flight] of flights) held.set(flight.kind, [...(held.get(flight.kind) ?? []), id]);
    await Promise.all([...held].map(async ([kind, ids]) => {
      try {
        const kept = new Set(await kind.renew(owner, ids, clock(), leaseMs));
        for (const id of ids) if (!kept.has(id)) flights.get(id)?.controller.abort(kind.leaseLost);
      } catch (err) {
        logger?.error({ err }, `renewing ${kind.label} leases failed`);
      }
    }));
  }

  const pool: WorkPool = {
    owner,
    leaseMs,
    clock,
    get closed() {
      return closed;
    },
    room: () => (closed || draining ? 0 : capacity - flights.size - reserved),
    reserve() {
      reserved++;
      let settled = false;
      return () => {
        if (settled) return false;
        settled = true;
        reserved--;
        return true;
      };
    },
    add(kind, id, body, settle) {
      const flight: Flight = { kind, controller: new AbortController(), again: false, done: Promise.resolve() };
      flights.set(id, flight);
      flight.done = body(flight).finally(async () => {
        await settle(flight);
        flights.delete(id);
        for (const listener of freed) listener(flight, id);
      });
      return flight;
    },
    get: (id) => flights.get(id),
    onFreed: (listener) => void freed.push(listener),
    start() {
      timer = setInterval(() => void heartbeat(), Math.max(100, leaseMs / 3));
      timer.unref();
    },
    async idle() {
      while (flights.size > 0) await Promise.all([...flights.values()].map((f) => f.done));
    },
    async drain(graceMs) {
      draining = true;
      let wait: NodeJS.Timeout | undefined;
      const deadline = new Promise<void>((resolve) => (wait = setTimeout(resolve, graceMs)));
      await Promise.race([pool.idle(), deadline]);
      clearTimeout(wait);
    },
    async close() {
      closed = true;
      clearInterval(timer);
      for (const flight of flights.values()) flight.controller.abort();
      await pool.idle();
    },
  };
  return pool;
}
