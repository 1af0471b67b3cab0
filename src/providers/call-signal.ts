/**
 * The cancellation of one upstream call: its caller's abort, its idle and total timers and an early stop all
 * cut it through one of these. Lighter than an AbortController per call (an EventTarget, its listener records
 * and an abort event), which the hot path of every run paid for.
 */

/** What the upstream code reads of a cancellation: an AbortSignal is one, and so is a `CallSignal`. */
export interface Abortable {
  readonly aborted: boolean;
  readonly reason: unknown;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

export class CallSignal implements Abortable {
  aborted = false;
  reason: unknown = undefined;
  private listeners: Array<() => void> = [];

  /** Cancels once: listeners run in the order they were added, then are dropped (they all act once). */
  abort(reason?: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason ?? new DOMException('This operation was aborted', 'AbortError');
    const listeners = this.listeners;
    this.listeners = [];
    for (const listener of listeners) listener();
  }

  addEventListener(_type: 'abort', listener: () => void): void {
    if (!this.aborted) this.listeners.push(listener);
  }

  removeEventListener(_type: 'abort', listener: () => void): void {
    const at = this.listeners.indexOf(listener);
    if (at >= 0) this.listeners.splice(at, 1);
  }
}
