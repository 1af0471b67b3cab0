// Foreground work in flight in this process: HTTP requests being answered and runs (or background responses)
// executing. Background work (file ingestion) asks it whether it would compete with someone waiting: the event
// loop is one per process, so the count is too. Begin and end are a counter step each (the run path pays nothing
// more); the only other thing end does is wake the background gates waiting for the count to reach zero.

let inFlight = 0;
const idleListeners = new Set<() => void>();

/** A request or run started. Every begin is matched by exactly one `endForeground`. */
export function beginForeground(): void {
  inFlight++;
}

/** A request or run ended. Shared as is (no closure per request): `res.on('close', endForeground)`. */
export function endForeground(): void {
  if (--inFlight === 0 && idleListeners.size > 0) for (const listener of idleListeners) listener();
}

/** Requests and runs in flight right now. */
export function foregroundInFlight(): number {
  return inFlight;
}

/** Calls `listener` each time the count falls to zero, until the returned function is called. */
export function onForegroundIdle(listener: () => void): () => void {
  idleListeners.add(listener);
  return () => idleListeners.delete(listener);
}

/**
 * Foreground work that waits for something (a held poll, a run waiting for its files to ingest) does no work
 * meanwhile: it is not counted while `waiting` is pending, or it would hold back what it waits for.
 */
export async function parked<T>(waiting: Promise<T>): Promise<T> {
  endForeground();
  try {
    return await waiting;
  } finally {
    beginForeground();
  }
}
