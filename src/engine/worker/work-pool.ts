import type { Logger } from 'pino';
import { newId } from '../../domain/ids.js';
import { beginForeground, endForeground } from '../../lib/foreground-work.js';
import type { Notifications } from '../../store/store.js';

/** Work of some kind claimed by this process: its lease is held here from now on. */
export interface ClaimedWork {
  project: string;
  id: string;
  /** Another holder's lease lapsed on it: it was started before and is taken over. */
  resumed: boolean;
}

/**
 * One kind of leased work (runs, background responses): how it is claimed, renewed and started. The pool does
 * the rest (capacity, claim loop, heartbeat, wake-ups and cancels between processes) the same for every kind.
 */
export interface WorkKind {
  /** For logs: "run", "background response". */
  label: string;
  /** NOTIFY channel waking other processes: work of this kind was queued (payload: its id). */
  wakeChannel: string;
  /** NOTIFY channel asking the process holding the work to abort it (payload: its id). */
  cancelChannel: string;
  /** Leases up to `limit` of the oldest claimable (queued or lapsed) items of this kind. */
  claim(owner: string, now: number, leaseMs: number, limit: number): Promise<ClaimedWork[]>;
  /** The `created_at` (unix seconds) of the oldest item `claim` would take now, if any. */
  oldest(owner: string, now: number): Promise<number | undefined>;
  /** Renews this owner's leases on `ids`; resolves with the ids still held. */
  renew(owner: string, ids: string[], now: number, leaseMs: number): Promise<string[]>;
  /** Executes claimed work: calls the pool's `add`. */
  start(work: ClaimedWork): void;
  /** The abort reason given to work whose lease was lost (its holder must not release what it no longer holds). */
  leaseLost: unknown;
  /** Kind-specific upkeep on each poll (runs: expiring those past their deadline). */
  poll?(): Promise<void>;
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
  /** How often to look for claimable work (a safety net: queued work is taken as slots free and on wake-ups). */
  pollMs?: number;
  /** Runs and background responses executed at once by this process, together; 0 takes none (API-only). */
  capacity?: number;
  /** Unix milliseconds; tests move time forward to expire runs. */
  clock?: () => number;
  logger?: Logger;
  /** This worker's id (the lease owner); a new one when absent. */
  owner?: string;
  /** Wake-ups and cancels between processes (Postgres); absent for one process. */
  notifications?: Notifications;
}

/**
 * The one worker of a process, for runs and background responses alike: one capacity, one claim loop taking
 * queued work of every kind into free slots, one heartbeat renewing every lease held, one cancel path, one
 * drain and close. Processes share the work through leases (SKIP LOCKED on Postgres) and wake each other by NOTIFY.
 */
export interface WorkPool {
  readonly owner: string;
  readonly leaseMs: number;
  readonly clock: () => number;
  readonly closed: boolean;
  /** Adds a kind of work; before `start`. */
  register(kind: WorkKind): void;
  /** Free slots: none while draining or closed. */
  room(): number;
  /** Whether queued work of this kind may be waiting for a slot (new work must not overtake it). */
  backlogged(kind: WorkKind): boolean;
  /** Work of this kind was queued (`id`): take it in its turn, or wake the others when this process has no room. */
  kick(kind: WorkKind, id: string): void;
  /** Aborts the work wherever it executes. */
  cancel(kind: WorkKind, id: string): void;
  /** Holds a slot for work about to be handed to this process; the function frees it, false when already freed. */
  reserve(): () => boolean;
  /** Tracks work executing here; `settle` runs after `body`, before the slot frees. */
  add(kind: WorkKind, id: string, body: (flight: Flight) => Promise<void>, settle: (flight: Flight) => Promise<void>): Flight;
  get(id: string): Flight | undefined;
  start(): Promise<void>;
  idle(): Promise<void>;
  /** Stops taking work (it is left queued for other processes) and waits up to `graceMs` for the work in flight. */
  drain(graceMs: number): Promise<void>;
  /** Stops claiming and listening, aborts everything in flight and waits for it to settle. */
  close(): Promise<void>;
}

interface Queue {
  kind: WorkKind;
  /** Queued work of this kind may be waiting: cleared by a claim that found less than it asked for... */
  backlog: boolean;
  /** ...unless more was heard of meanwhile (this moved on). */
  heard: number;
}

export function createWorkPool(options: WorkPoolOptions = {}): WorkPool {
  const leaseMs = options.leaseMs ?? 30_000;
  const pollMs = options.pollMs ?? 1000;
  const capacity = options.capacity ?? 512;
  const clock = options.clock ?? Date.now;
  const { logger, notifications } = options;
  const owner = options.owner ?? newId('worker_');
  const queues = new Map<WorkKind, Queue>();
  const flights = new Map<string, Flight>();
  const timers: NodeJS.Timeout[] = [];
  const unlisten: Array<() => Promise<void>> = [];
  let closed = false;
  let draining = false;
  let polling = false;
  let filling = false;
  let refill = false;
  /** Which kind claims first in the next round when their oldest items are as old. */
  let turn = 0;
  /** Slots handed out by `reserve` and not yet started or dropped. */
  let reserved = 0;
  const room = () => (closed || draining ? 0 : capacity - flights.size - reserved);
  const queue = (kind: WorkKind) => queues.get(kind)!;

  function heardOf(q: Queue): void {
    q.backlog = true;
    q.heard++;
    fill();
  }

  /** One claim of `q`'s oldest queued work into the free slots; resolves with how many were claimed. */
  async function claimInto(q: Queue): Promise<number> {
    const seen = q.heard;
    const limit = Math.min(room(), 64);
    try {
      const claimed = await q.kind.claim(owner, clock(), leaseMs, limit);
      for (const c of claimed) q.kind.start(c);
      if (claimed.length < limit && seen === q.heard) q.backlog = false;
      return claimed.length;
    } catch (err) {
      logger?.error({ err }, `claiming queued ${q.kind.label}s failed`);
      return 0;
    }
  }

  /**
   * The backlogged kinds in the order they claim: the one whose oldest claimable item is oldest first (looked up
   * only when two kinds wait), ties taking turns.
   */
  async function claimOrder(): Promise<Queue[]> {
    const waiting = [...queues.values()].filter((q) => q.backlog);
    turn = (turn + 1) % Math.max(1, waiting.length);
    const order = [...waiting.slice(turn), ...waiting.slice(0, turn)];
    if (order.length < 2) return order;
    const oldest = new Map<Queue, number>();
    for (const q of order) {
      const at = await q.kind.oldest(owner, clock()).catch((err: unknown) => void logger?.error({ err }, `looking for queued ${q.kind.label}s failed`));
      oldest.set(q, at ?? Infinity);
    }
    return order.sort((a, b) => oldest.get(a)! - oldest.get(b)!);
  }

  /**
   * Claims queued work while slots are free, the oldest of every kind first; one claimer at a time. What is left
   * is held by others (or was heard of meanwhile): a release or NOTIFY calls again.
   */
  function fill(): void {
    if (room() <= 0 || ![...queues.values()].some((q) => q.backlog)) return;
    if (filling) return void (refill = true);
    filling = true;
    void (async () => {
      do {
        refill = false;
        let claimed = 1;
        while (claimed > 0 && room() > 0) {
          claimed = 0;
          for (const q of await claimOrder()) if (q.backlog && room() > 0) claimed += await claimInto(q);
        }
      } while (refill && !closed);
    })().finally(() => (filling = false));
  }

  async function poll(): Promise<void> {
    if (closed || polling) return;
    polling = true;
    for (const q of queues.values()) {
      try {
        // Work whose NOTIFY was missed or whose holder's lease lapsed. Looked for without holding back new
        // runs' handoff meanwhile (that cost a quarter of the throughput under load); any found go first from then on.
        if (q.backlog) fill();
        else if (room() > 0 && (await claimInto(q)) > 0) heardOf(q);
        await q.kind.poll?.();
      } catch (err) {
        logger?.error({ err }, `polling for ${q.kind.label}s failed`);
      }
    }
    polling = false;
  }

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
    register: (kind) => void queues.set(kind, { kind, backlog: true, heard: 0 }),
    room,
    backlogged: (kind) => queue(kind).backlog,
    kick(kind, id) {
      if (closed) return;
      const flight = flights.get(id);
      if (flight) return void (flight.again = true);
      // A replica without a free slot (API-only, stopping or full) wakes the others instead of leaving the work
      // to their poll; each takes the oldest queued work, so this is started in its turn.
      if (room() <= 0) void notifications?.notify(kind.wakeChannel, id).catch(() => {});
      heardOf(queue(kind));
    },
    cancel(kind, id) {
      const flight = flights.get(id);
      if (flight) flight.controller.abort();
      else void notifications?.notify(kind.cancelChannel, id).catch(() => {});
    },
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
      beginForeground();
      flight.done = body(flight).finally(async () => {
        try {
          await settle(flight);
        } finally {
          // Executing work is foreground work: background ingestion yields to it (lib/background-gate.ts).
          endForeground();
        }
        flights.delete(id);
        // Asked for again meanwhile (new tool outputs, a cancel): it is queued now and taken in its turn.
        if (flight.again) heardOf(queue(kind));
        else fill();
      });
      return flight;
    },
    get: (id) => flights.get(id),
    async start() {
      for (const q of queues.values()) {
        if (!notifications) break;
        unlisten.push(await notifications.listen(q.kind.wakeChannel, () => heardOf(q)));
        unlisten.push(await notifications.listen(q.kind.cancelChannel, (id) => flights.get(id)?.controller.abort()));
      }
      timers.push(setInterval(() => void poll(), pollMs), setInterval(() => void heartbeat(), Math.max(100, leaseMs / 3)));
      for (const t of timers) t.unref();
      void poll();
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
      for (const t of timers) clearInterval(t);
      for (const stop of unlisten) await stop();
      for (const flight of flights.values()) flight.controller.abort();
      await pool.idle();
    },
  };
  return pool;
}
