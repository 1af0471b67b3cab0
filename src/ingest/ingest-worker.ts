// Worker-thread entry: parses files on request so large or hostile files never block the server's event loop.
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { parentPort } from 'node:worker_threads';
import type { IngestInput, IngestResult } from './ingest.js';
import { ingestFile } from './ingest-file.js';

/** Main thread → worker. */
export interface WorkerRequest {
  id: number;
  input: IngestInput;
}

/** Worker → main thread: loaded and listening, or the result of a request. */
export type WorkerMessage = { ready: true } | { id: number; result: IngestResult };

/**
 * Parsing is background work: at a lower CPU priority than the server's event loop it takes the time requests
 * leave over instead of competing with them (on a 2-core machine, for one of the two cores). On Linux each
 * thread has its own nice value, set through its thread id; elsewhere the thread keeps the process's.
 */
function lowerPriority(): void {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (Number.isInteger(tid) && tid > 0) setPriority(tid, 10);
  } catch {
    // Not Linux, or not permitted: parsing simply runs at the normal priority.
  }
}

lowerPriority();
parentPort?.on('message', (request: WorkerRequest) => {
  void ingestFile(request.input).then((result) => {
    const reply: WorkerMessage = { id: request.id, result };
    parentPort?.postMessage(reply);
  });
});
parentPort?.postMessage({ ready: true } satisfies WorkerMessage);
