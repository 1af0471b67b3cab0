/**
 * Lets at most `limit` tasks run at once and starts the others in arrival order. Worker start-up is CPU-bound
 * (importing numpy, pandas and matplotlib): fifty at once on two cores would each take fifty times as long and
 * all miss their start timeout, while a few at a time finish in turn.
 */
export class StartGate {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly limit: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.running++;
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}
