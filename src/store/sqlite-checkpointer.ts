import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

// SQLite in WAL mode copies the log back into the database file ("checkpoints") from whichever connection
// commits when the log passes 1000 pages: the writer, on the event loop, for several milliseconds including an
// fsync. Every request behind it waits. Here a worker thread with its own connection checkpoints a few times a
// second instead (PASSIVE: it never blocks the writer or readers), and the writer keeps a high automatic
// threshold only as a safety net for when the worker cannot keep up.

/** The writer checkpoints by itself only past this many log pages (about 40 MB). */
export const WRITER_AUTOCHECKPOINT_PAGES = 10_000;

/** How often the worker checkpoints; a checkpoint with nothing to copy costs next to nothing. */
const INTERVAL_MS = 200;

/** Plain JavaScript run in the worker (no TypeScript loader there). */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path);
db.pragma('busy_timeout = 1000');
const checkpoint = () => { try { db.pragma('wal_checkpoint(PASSIVE)'); } catch {} };
const timer = setInterval(checkpoint, workerData.intervalMs);
parentPort.on('message', () => {
  clearInterval(timer);
  checkpoint();
  db.close();
  parentPort.close();
});
`;

export interface Checkpointer {
  /** Checkpoints once more and stops. */
  close(): Promise<void>;
}

/** Starts checkpointing the database at `path` off the event loop. */
export function startCheckpointer(path: string): Checkpointer {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { path, driver, intervalMs: INTERVAL_MS } });
  // A failing checkpointer only brings back the writer's own checkpoints; it must not take the server down.
  worker.on('error', () => {});
  worker.unref();
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  return {
    async close() {
      // Held open until the worker has finished, or the process could end with the close still pending.
      worker.ref();
      worker.postMessage('close');
      await exited;
    },
  };
}
