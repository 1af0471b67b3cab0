// How busy the event loop has been lately: its utilisation (time spent running callbacks rather than waiting
// for I/O) over the last window of at least `windowMs`, worked out lazily when asked. Cheap enough to ask per
// background step: libuv keeps the counters, and the figure moves once per window.
import { performance, type EventLoopUtilization } from 'node:perf_hooks';

/** Returns a function answering the loop's utilisation (0 to 1) over the last completed window. */
export function createLoopLoad(windowMs = 50): () => number {
  let since: EventLoopUtilization = performance.eventLoopUtilization();
  let windowStart = performance.now();
  let load = 0;
  return () => {
    const now = performance.now();
    if (now - windowStart >= windowMs) {
      const current = performance.eventLoopUtilization();
      load = performance.eventLoopUtilization(current, since).utilization;
      since = current;
      windowStart = now;
    }
    return load;
  };
}
