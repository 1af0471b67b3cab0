import type { Logger } from 'pino';
import { executeRun, type RunLoopDeps } from './run-loop.js';

/**
 * Executes runs in this process. `kick` after a run is created, resumed or cancelled; a kick during an execution
 * of the same run makes it look again when it finishes, so no change is missed. No lease yet: a run in flight
 * when the process dies stays where it was.
 */
export interface RunWorker {
  kick(project: string, runId: string): void;
  /** Aborts the upstream call of a run in flight; true when there was one. */
  abort(runId: string): boolean;
  /** Resolves when nothing is in flight. */
  idle(): Promise<void>;
  /** Aborts everything in flight and waits for it to settle. */
  close(): Promise<void>;
}

interface Flight {
  controller: AbortController;
  again: boolean;
  done: Promise<void>;
}

export function createRunWorker(deps: RunLoopDeps, logger?: Logger): RunWorker {
  const flights = new Map<string, Flight>();
  let closed = false;

  function start(project: string, runId: string): void {
    const flight: Flight = { controller: new AbortController(), again: false, done: Promise.resolve() };
    flights.set(runId, flight);
    flight.done = executeRun(deps, project, runId, flight.controller.signal)
      .catch((err: unknown) => logger?.error({ err, runId }, 'run execution failed'))
      .finally(() => {
        flights.delete(runId);
        if (flight.again && !closed) start(project, runId);
      });
  }

  return {
    kick(project, runId) {
      if (closed) return;
      const flight = flights.get(runId);
      if (flight) flight.again = true;
      else start(project, runId);
    },
    abort(runId) {
      const flight = flights.get(runId);
      if (!flight) return false;
      flight.controller.abort();
      return true;
    },
    async idle() {
      while (flights.size > 0) await Promise.all([...flights.values()].map((f) => f.done));
    },
    async close() {
      closed = true;
      for (const flight of flights.values()) flight.controller.abort();
      await this.idle();
    },
  };
}
