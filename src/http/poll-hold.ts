/**
 * Long polling for the SDK's poll helpers (`createAndPoll`, `submitToolOutputsAndPoll`, `uploadAndPoll`…). They
 * retrieve an object, and while it is still working sleep for the `openai-poll-after-ms` the server sent; so a
 * run that ends 5 ms after the retrieve is heard of only after the sleep. A retrieve marked as theirs is instead
 * held until the object changes or a bound passes, and then tells them to ask again at once.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { parked } from '../lib/foreground-work.js';

/** How soon a client polling by hand should ask again. */
const POLL_AFTER_MS = '200';

/** Whether to hold this retrieve: it comes from an SDK poll helper and holding is on. */
export function holdsPoll(request: FastifyRequest, holdMs: number): boolean {
  return holdMs > 0 && request.headers['x-stainless-poll-helper'] === 'true';
}

/** The hint for an object still working: at once after a hold (the hold was the wait), else the usual pause. */
export function pollAfter(reply: FastifyReply, held: boolean): void {
  reply.header('openai-poll-after-ms', held ? '0' : POLL_AFTER_MS);
}

export interface PollHold<T> {
  holdMs: number;
  /**
   * Resolves true when the object may have changed, false after `timeoutMs` or when `signal` aborts. Called
   * before each `read`, so a change between the two is not missed.
   */
  wait(timeoutMs: number, signal: AbortSignal): Promise<boolean>;
  read(): Promise<T>;
  /** The state the helper is waiting to see change, or undefined when it is done (the helper stops polling). */
  working(value: T): string | undefined;
}

/** Reads the object, and while it is working waits (up to `holdMs`) for its state to change; returns the last read. */
export async function holdPoll<T>(hold: PollHold<T>): Promise<T> {
  const stop = new AbortController();
  const deadline = Date.now() + hold.holdMs;
  try {
    let woke = hold.wait(hold.holdMs, stop.signal);
    let value = await hold.read();
    const first = hold.working(value);
    if (first === undefined) return value;
    for (;;) {
      // Parked while it waits: a client polling its own upload (`uploadAndPoll`) must not hold back its ingestion.
      // Not woken: read once more, since a change a wake-up missed (one from another replica, say) is still news.
      if (!(await parked(woke))) return hold.read();
      const left = deadline - Date.now();
      if (left <= 0) return value;
      woke = hold.wait(left, stop.signal);
      value = await hold.read();
      if (hold.working(value) !== first) return value;
    }
  } finally {
    stop.abort();
  }
}
