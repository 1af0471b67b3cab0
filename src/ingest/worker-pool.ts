// The ingest pool: a FIFO queue in front of at most `concurrency` worker threads. Workers start on demand,
// are recycled after many files (bounding whatever a parser library leaks) and exit when idle; one that
// fails is simply replaced, so a bad file never stalls the files queued behind it.
import { stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import type { IngestInput, Ingestor, IngestorOptions, IngestResult } from './ingest.js';
import { failure, PoolWorker } from './pool-worker.js';

const FILES_PER_WORKER = 500;
const IDLE_MS = 30_000;
const MIB = 1024 * 1024;

interface Task {
  input: IngestInput;
  deadlineMs: number;
  resolve: (result: IngestResult) => void;
}

/** Implements {@link Ingestor} on worker threads; see {@link IngestorOptions} for the knobs. */
export function createWorkerPool(opts: IngestorOptions): Ingestor {
  const size = Math.max(1, opts.concurrency ?? Math.min(4, Math.max(1, availableParallelism() - 1)));
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const perMibMs = opts.timeoutPerMibMs ?? 2_000;
  const limits = { maxHeapMb: opts.maxHeapMb ?? 1536, idleMs: IDLE_MS };
  const queue: Task[] = [];
  const workers = new Set<PoolWorker>();
  let closed = false;

  const pump = (): void => {
    while (!closed && queue.length > 0) {
      let worker = idleWorker();
      if (!worker && workers.size < size) {
        try {
          worker = spawn();
        } catch {
          // Threads could not start (resource exhaustion, missing entry): fail this file, not the caller.
          queue.shift()?.resolve(failure('server_error', 'The file parser could not be started.'));
          continue;
        }
      }
      if (!worker) return;
      const task = queue.shift() as Task;
      void worker.run(task.input, task.deadlineMs).then((result) => {
        task.resolve(result);
        if (worker.done >= FILES_PER_WORKER) void worker.stop();
        pump();
      });
    }
  };

  const idleWorker = (): PoolWorker | undefined => {
    for (const w of workers) if (!w.busy && !w.dead) return w;
    return undefined;
  };

  const spawn = (): PoolWorker => {
    const worker = new PoolWorker(limits, (gone) => {
      workers.delete(gone);
      // A replacement starts on the next pump; run it now in case work is waiting and nothing else will.
      queueMicrotask(pump);
    });
    workers.add(worker);
    return worker;
  };

  // Big files get proportionally longer, so the deadline catches hangs, not legitimate 500 MB PDFs.
  const deadlineFor = async (path: string): Promise<number> => {
    const bytes = await stat(path).then((s) => s.size, () => 0);
    return timeoutMs + Math.ceil((bytes / MIB) * perMibMs);
  };

  return {
    async ingest(input) {
      const deadlineMs = await deadlineFor(input.path);
      if (closed) return failure('server_error', 'The ingestor is shut down.');
      return new Promise<IngestResult>((resolve) => {
        queue.push({ input, deadlineMs, resolve });
        pump();
      });
    },
    stats() {
      let active = 0;
      for (const w of workers) if (w.busy) active++;
      return { active, queued: queue.length, workers: workers.size };
    },
    async close() {
      closed = true;
      const message = 'The ingestor was shut down before the file was processed.';
      for (const task of queue.splice(0)) task.resolve(failure('server_error', message));
      await Promise.all([...workers].map((w) => w.stop(message)));
    },
  };
}
