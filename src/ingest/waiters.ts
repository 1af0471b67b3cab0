/** A broadcast wake-up: everyone waiting resolves on the next signal, or on their own timeout. */
export interface Waiters {
  wait(timeoutMs: number): Promise<void>;
  signal(): void;
}

export function createWaiters(): Waiters {
  const pending = new Set<() => void>();
  return {
    wait(timeoutMs) {
      return new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          pending.delete(done);
          resolve();
        };
        const timer = setTimeout(done, timeoutMs);
        pending.add(done);
      });
    },
    signal() {
      for (const done of [...pending]) done();
    },
  };
}
