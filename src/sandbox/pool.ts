import type { SessionHome } from './session-home.js';
import type { WorkerProcess } from './worker-process.js';

/** A started worker with its home, not yet given to any session. */
export interface WarmWorker {
  home: SessionHome;
  worker: WorkerProcess;
}

interface Taker {
  resolve(warm: WarmWorker): void;
  reject(err: Error): void;
}

/**
 * Keeps `size` workers started and idle so a new session skips Python start-up and the numpy/pandas/
 * matplotlib imports. Taking one triggers a refill in the background. Beyond the pool, demand sizes the
 * starts: a taker finding it empty takes the next refill already in flight, in arrival order, and starts a
 * worker of its own only when every refill in flight is spoken for, so a burst never waits behind spare ones.
 */
export class WarmPool {
  private readonly ready: WarmWorker[] = [];
  private readonly takers: Taker[] = [];
  private starting = 0;
  private closed = false;
  private lastError: Error | undefined;
  private fullWaiters: Array<() => void> = [];
  private readonly discarding: Array<Promise<void>> = [];

  constructor(
    private readonly size: number,
    private readonly startOne: () => Promise<WarmWorker>,
    private readonly discard: (warm: WarmWorker) => Promise<void>,
  ) {}

  /** Workers started and waiting. */
  get idle(): number {
    return this.ready.length;
  }

  /** A warm worker if one is ready, otherwise a freshly started one. */
  async take(): Promise<WarmWorker> {
    while (this.ready.length > 0) {
      const warm = this.ready.shift() as WarmWorker;
      this.fill();
      if (warm.worker.alive) return warm;
      await this.discard(warm);
    }
    if (this.starting > this.takers.length) return new Promise((resolve, reject) => this.takers.push({ resolve, reject }));
    this.fill();
    return this.startOne();
  }

  /** Starts workers until ready + starting reaches the pool size. */
  fill(): void {
    while (!this.closed && this.ready.length + this.starting < this.size) {
      this.starting++;
      this.startOne().then(
        (warm) => {
          this.starting--;
          if (this.closed) {
            this.discarding.push(this.discard(warm));
            return this.notifyIfFull();
          }
          this.lastError = undefined;
          const taker = this.takers.shift();
          if (taker) {
            taker.resolve(warm);
            this.fill();
          } else this.ready.push(warm);
          this.notifyIfFull();
        },
        (err: Error) => {
          this.starting--;
          this.lastError = err;
          this.takers.shift()?.reject(err);
          this.notifyIfFull(); // a failing start must not leave whenFull() hanging
        },
      );
    }
    this.notifyIfFull();
  }

  /** Resolves once no start is in flight; rejects with the last start failure if the pool is short. */
  async whenFull(): Promise<void> {
    this.fill();
    if (this.starting > 0) await new Promise<void>((resolve) => this.fullWaiters.push(resolve));
    if (this.ready.length < this.size && this.lastError) throw this.lastError;
  }

  /** Stops refilling and discards every idle or still-starting worker. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.starting > 0) await new Promise<void>((resolve) => this.fullWaiters.push(resolve));
    for (const taker of this.takers.splice(0)) taker.reject(new Error('the warm pool is closed'));
    const idle = this.ready.splice(0);
    await Promise.all([...idle.map((warm) => this.discard(warm)), ...this.discarding]);
  }

  private notifyIfFull(): void {
    if (this.starting > 0) return;
    const waiters = this.fullWaiters.splice(0);
    for (const resolve of waiters) resolve();
  }
}
