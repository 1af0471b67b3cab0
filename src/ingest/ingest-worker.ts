// Worker-thread entry: parses files on request so large or hostile files never block the server's event loop.
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

parentPort?.on('message', (request: WorkerRequest) => {
  void ingestFile(request.input).then((result) => {
    const reply: WorkerMessage = { id: request.id, result };
    parentPort?.postMessage(reply);
  });
});
parentPort?.postMessage({ ready: true } satisfies WorkerMessage);
