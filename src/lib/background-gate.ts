// Background work (file ingestion) runs on the same event loop as the API: every step it takes (a claim, a
// store read or write, an index write, handling an embedding reply) is time a request or a run step waits for
// when it arrives behind it. Measured: a 5,000-file ingest kept the main thread ~80 % busy with such steps and
// a streamed run's overhead grew 5x. The gate bounds that share without starving ingestion:
//
// - No foreground work in flight (see foreground-work.ts), or it is in flight but the loop has been mostly idle
//   (it is waiting for an upstream or a client: see foregroundCompetes), and nobody waiting: a step passes at once.
// - Foreground work in flight on a busy loop: steps wait in line. The head goes once foreground work ends (one step per
//   event-loop turn, so I/O that arrives meanwhile is handled between them), or, under sustained load, once it
//   has waited `intervalMs` since it queued and since the last step let through that way. So a request or run
//   shorter than the interval usually sees no background step at all, a long stretch of load sees at most one
//   per interval, and no step waits more than about (steps in line) x interval.
//
// Only the entry to a step is gated: what it started (a parse on a worker thread, an embedding request) finishes
// in the background, and its reply waits at the next gate.
import { foregroundInFlight, onForegroundIdle } from './foreground-work.js';
import { createLoopLoad } from './loop-load.js';

export interface BackgroundGate {
  /** Resolves when a background step may run; undefined (go now) when nothing foreground is in flight. */
  pass(): Promise<void> | undefined;
  /** Steps waiting to pass. */
  waiting(): number;
  /** Lets every waiting step through and stops gating (shutdown: steps then see their abort signal). */
  close(): void;
}

export interface BackgroundGateOptions {
  /** While foreground work is in flight, at most one step per this many milliseconds; 0 turns the gate off. */
  intervalMs: number;
  /** Whether foreground work competes with background steps now; injectable for tests. */
  busy?: () => boolean;
  /** Subscribes to "foreground work ended"; returns the unsubscribe. Injectable for tests. */
  onIdle?: (listener: () => void) => () => void;
  /** Milliseconds, monotonic. */
  now?: () => number;
}

interface Waiter {
  resolve: () => void;
  at: number;
}

/**
 * Foreground work in flight is often only waiting (for an upstream model's next tokens, for a slow client): then
 * the loop is mostly idle, and holding ingestion back would slow it for nothing. So foreground work competes
 * with background steps only while the loop has also been busy lately (at least BUSY_LOOP of the last window,
 * background steps included): ingestion fills an idle loop up to about that share, and past it gets one step
 * per interval.
 */
const BUSY_LOOP = 0.3;

function foregroundCompetes(): () => boolean {
  const loopLoad = createLoopLoad();
  return () => foregroundInFlight() > 0 && loopLoad() >= BUSY_LOOP;
}

export function createBackgroundGate(opts: BackgroundGateOptions): BackgroundGate {
  const { intervalMs } = opts;
  const busy = opts.busy ?? foregroundCompetes();
  const onIdle = opts.onIdle ?? onForegroundIdle;
  const now = opts.now ?? (() => performance.now());
  const line: Waiter[] = [];
  let lastForced = -Infinity;
  let immediate: NodeJS.Immediate | undefined;
  let timer: NodeJS.Timeout | undefined;
  let unlisten: (() => void) | undefined;
  let closed = false;

  /** When the head may go despite foreground work: it waited the interval, and so did the gate since the last one. */
  const dueAt = () => Math.max(line[0]!.at, lastForced) + intervalMs;

  function schedule(): void {
    if (line.length === 0 || immediate || timer) return;
    if (busy()) {
      const wait = dueAt() - now();
      if (wait > 0) {
        unlisten ??= onIdle(wake);
        timer = setTimeout(wake, Math.ceil(wait));
        return;
      }
    }
    immediate = setImmediate(admit);
  }

  function wake(): void {
    clearTimeout(timer);
    timer = undefined;
    unlisten?.();
    unlisten = undefined;
    schedule();
  }

  function admit(): void {
    immediate = undefined;
    if (line.length === 0) return;
    if (busy()) {
      if (now() < dueAt()) return schedule();
      lastForced = now();
    }
    line.shift()!.resolve();
    schedule();
  }

  return {
    pass() {
      if (closed || intervalMs <= 0 || (line.length === 0 && !busy())) return undefined;
      return new Promise<void>((resolve) => {
        line.push({ resolve, at: now() });
        schedule();
      });
    },
    waiting: () => line.length,
    close() {
      closed = true;
      clearTimeout(timer);
      if (immediate) clearImmediate(immediate);
      unlisten?.();
      for (const w of line.splice(0)) w.resolve();
    },
  };
}
