// One worker thread of the ingest pool and the bookkeeping that keeps a bad file from hurting anything else:
// the file's deadline starts once the worker has loaded (so cold starts don't count against it), a worker
// past its deadline or out of heap is killed, and whatever happens `run` resolves with a result.
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { IngestErrorCode, IngestInput, IngestResult } from './ingest.js';
import type { WorkerMessage, WorkerRequest } from './ingest-worker.js';

interface Job {
  id: number;
  deadlineMs: number;
  resolve: (result: IngestResult) => void;
  timer?: NodeJS.Timeout;
}

/** Limits a pool worker runs under. */
export interface PoolWorkerLimits {
  maxHeapMb: number;
  /** An idle worker exits after this long, returning its memory; the pool starts another on demand. */
  idleMs: number;
}

/** A single worker thread that parses one file at a time. */
export class PoolWorker {
  /** Files completed by this worker. */
  done = 0;
  /** True once the thread is gone or going; the pool must not hand it more work. */
  dead = false;
  private readonly worker: Worker;
  private ready = false;
  private job?: Job;
  private nextId = 1;
  private idleTimer?: NodeJS.Timeout;

  constructor(private readonly limits: PoolWorkerLimits, private readonly onGone: (w: PoolWorker) => void) {
    this.worker = startWorker(limits.maxHeapMb);
    this.worker.unref();
    this.worker.on('message', (m: WorkerMessage) => this.onMessage(m));
    this.worker.on('error', (err: Error & { code?: string }) => {
      if (err.code === 'ERR_WORKER_OUT_OF_MEMORY') this.settle(failure('invalid_file', 'The file needs more memory to parse than allowed.'));
      else this.settle(failure('server_error', 'The file parser stopped unexpectedly.'));
      void this.stop();
    });
    this.worker.on('exit', () => {
      this.settle(failure('server_error', 'The file parser stopped unexpectedly.'));
      void this.stop();
    });
  }

  /** True while a file is being parsed. */
  get busy(): boolean {
    return this.job !== undefined;
  }

  /** Parses one file; resolves with a failure rather than rejecting if the worker times out or dies. */
  run(input: IngestInput, deadlineMs: number): Promise<IngestResult> {
    clearTimeout(this.idleTimer);
    // Keep the process alive while a file is in flight; an idle pool must not.
    this.worker.ref();
    return new Promise((resolve) => {
      this.job = { id: this.nextId++, deadlineMs, resolve };
      const request: WorkerRequest = { id: this.job.id, input };
      this.worker.postMessage(request);
      if (this.ready) this.arm(this.job);
    });
  }

  /** Terminates the thread; a file in flight resolves with `message`. */
  async stop(message = 'The file parser stopped unexpectedly.'): Promise<void> {
    this.settle(failure('server_error', message));
    clearTimeout(this.idleTimer);
    if (this.dead) return;
    this.dead = true;
    this.onGone(this);
    await this.worker.terminate();
  }

  private onMessage(m: WorkerMessage): void {
    if ('ready' in m) {
      this.ready = true;
      if (this.job) this.arm(this.job);
    } else if (this.job?.id === m.id) {
      this.done++;
      this.settle(m.result);
      this.worker.unref();
      this.idleTimer = setTimeout(() => void this.stop(), this.limits.idleMs).unref();
    }
  }

  private arm(job: Job): void {
    job.timer = setTimeout(() => {
      this.settle(failure('invalid_file', `Parsing the file took longer than ${seconds(job.deadlineMs)}; it may be corrupt or too complex.`));
      void this.stop();
    }, job.deadlineMs);
  }

  private settle(result: IngestResult): void {
    const job = this.job;
    if (!job) return;
    clearTimeout(job.timer);
    this.job = undefined;
    job.resolve(result);
  }
}

// After `tsc` the worker is ingest-worker.js beside this file. Under tsx (tests, dev) it is ingest-worker.ts,
// and on Node 20 a worker's entry module does not get loader hooks from execArgv (nodejs/node#47747), so a tiny
// bootstrap registers tsx inside the worker first and then imports the TypeScript entry.
function startWorker(maxHeapMb: number): Worker {
  const ext = extname(fileURLToPath(import.meta.url));
  const entry = new URL(`./ingest-worker${ext}`, import.meta.url);
  const options = { execArgv: [], resourceLimits: { maxOldGenerationSizeMb: maxHeapMb } };
  if (ext === '.js') return new Worker(entry, options);
  const tsx = import.meta.resolve('tsx/esm/api');
  const bootstrap = `import(${JSON.stringify(tsx)}).then((m) => m.register()).then(() => import(${JSON.stringify(entry.href)}))`;
  return new Worker(bootstrap, { ...options, eval: true });
}

function seconds(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`;
}

/** A failed result with the given code. */
export function failure(code: IngestErrorCode, message: string): IngestResult {
  return { ok: false, error: { code, message } };
}
