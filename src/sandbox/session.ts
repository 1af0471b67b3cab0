import { changedPaths, placeInputFile, snapshotData } from './data-files.js';
import type { SandboxOptions } from './options.js';
import { collectOutputs, type OutputAllowance } from './output-files.js';
import type { WarmWorker } from './pool.js';
import type { ExecuteRequest, ExecuteResult, SandboxFileSaved } from './sandbox.js';
import type { SessionHome } from './session-home.js';
import type { RunOutcome, WorkerProcess } from './worker-process.js';

/** What a session needs from the sandbox that owns it. */
export interface SessionDeps {
  options: SandboxOptions;
  /** A warm worker (with its own home) for the session's first call. */
  acquire(): Promise<WarmWorker>;
  /** A fresh worker on the session's existing home, after the previous one was killed. */
  restart(home: SessionHome): Promise<WorkerProcess>;
  /** Unmounts and deletes a home once its worker is dead. */
  release(home: SessionHome): Promise<void>;
  /** Told each time the session's last queued call ends: it may now be evicted. */
  onIdle(): void;
}

const LOST_STATE = 'the Python process was restarted, so variables and imports from earlier calls are gone (files in /mnt/data were kept)';

/** One thread's Python session: calls run one at a time, state lives in its worker, files in its home. */
export class Session {
  readonly createdAt = Date.now();
  lastUsedAt = Date.now();
  private queue: Promise<unknown> = Promise.resolve();
  private pending = 0;
  private home: SessionHome | undefined;
  private worker: WorkerProcess | undefined;
  private closed = false;
  /** /mnt/data name → host file placed there: an input is copied in once, as an upload to a container was. */
  private readonly placed = new Map<string, string>();
  /** Output files the session may still save. */
  private readonly allowance: OutputAllowance;

  constructor(private readonly deps: SessionDeps) {
    this.allowance = { files: deps.options.maxFilesPerSession, bytes: deps.options.maxOutputBytesPerSession };
  }

  get busy(): boolean {
    return this.pending > 0;
  }

  /** The uid the session's code runs as, once it has a worker. */
  get uid(): number | undefined {
    return this.home?.uid;
  }

  expired(now: number): boolean {
    const { sessionTtlMs, idleTtlMs } = this.deps.options;
    return !this.busy && (now - this.createdAt >= sessionTtlMs || now - this.lastUsedAt >= idleTtlMs);
  }

  /** Queues a call behind the session's earlier ones. */
  execute(request: ExecuteRequest): Promise<ExecuteResult> {
    this.pending++;
    const result = this.queue.then(() => this.runOne(request));
    const settled = result.finally(() => {
      this.pending--;
      this.lastUsedAt = Date.now();
      if (this.pending === 0) this.deps.onIdle();
    });
    this.queue = settled.catch(() => undefined);
    return settled;
  }

  /** Kills the worker at once (a running call ends as a crash), then removes the session's files. */
  async close(): Promise<void> {
    this.closed = true;
    await this.worker?.kill();
    await this.queue;
    await this.worker?.kill();
    if (this.home) await this.deps.release(this.home);
  }

  private async ensureWorker(): Promise<{ home: SessionHome; worker: WorkerProcess }> {
    if (this.closed) throw new Error('sandbox session is closed');
    if (!this.home) {
      const warm = await this.deps.acquire();
      this.home = warm.home;
      this.worker = warm.worker;
    } else if (!this.worker?.alive) {
      await this.home.group.thaw(); // a process started in a frozen group would never get to run
      this.worker = await this.deps.restart(this.home);
    }
    if (this.closed) {
      await this.worker?.kill(); // closed while we waited for a worker; close() releases the home
      throw new Error('sandbox session is closed');
    }
    return { home: this.home, worker: this.worker as WorkerProcess };
  }

  private async runOne(request: ExecuteRequest): Promise<ExecuteResult> {
    // Cancelled while it waited behind earlier calls: it never starts, and the session keeps its state.
    if (request.signal?.aborted) return { logs: '', images: [], files: [], error: { name: 'Cancelled', message: 'the run was cancelled before this code ran' }, restarted: false };
    const { home, worker } = await this.ensureWorker();
    try {
      // Later calls see what the code made of an input (edited, or deleted), not a fresh copy of it.
      for (const file of request.files ?? []) {
        if (this.placed.get(file.name) === file.path) continue;
        await placeInputFile(home, file.name, file.path);
        this.placed.set(file.name, file.path);
      }
    } catch (err) {
      const message = `could not place input files in /mnt/data: ${(err as Error).message}`;
      return { logs: '', images: [], files: [], error: { name: 'InputFileError', message }, restarted: false };
    }
    const before = request.saveFile ? await snapshotData(home) : undefined;
    const { options } = this.deps;
    const timeoutMs = request.timeoutMs ?? options.callTimeoutMs;
    const oomBefore = home.group.oomKills();
    await home.group.thaw();
    const outcome = await worker.run(request.code, timeoutMs, options.interruptGraceMs, request.signal);
    // Threads or processes the code left running stop here until the next call.
    if (outcome.kind === 'result') await home.group.freeze();
    else await worker.kill();
    const oomKilled = home.group.oomKills() > oomBefore;
    const { files, notes } = request.saveFile && before
      ? await collectOutputs(home, changedPaths(before, await snapshotData(home)), options, this.allowance, request.saveFile)
      : { files: [], notes: '' };
    const memoryNote = oomKilled ? `the session reached its memory limit of ${Math.round(options.memoryBytes / 1024 ** 2)} MiB and a process of it was killed` : '';
    return toResult(outcome, timeoutMs, files, notes, memoryNote);
  }
}

function toResult(outcome: RunOutcome, timeoutMs: number, files: SandboxFileSaved[], notes: string, memoryNote: string): ExecuteResult {
  if (memoryNote && outcome.kind === 'crash') outcome = { ...outcome, reason: memoryNote };
  else if (memoryNote) notes = `\n[${memoryNote}]${notes}`;
  switch (outcome.kind) {
    case 'result': {
      const { error } = outcome;
      const result: ExecuteResult = { logs: outcome.logs + (error?.traceback ?? '') + notes, images: outcome.images, files, restarted: false };
      if (error) result.error = { name: error.name, message: error.message };
      return result;
    }
    case 'timeout': {
      const message = `execution took longer than ${timeoutMs / 1000} s and was stopped; ${LOST_STATE}`;
      return { logs: outcome.logs + notes, images: [], files, error: { name: 'Timeout', message }, restarted: true };
    }
    case 'cancelled': {
      const message = `the run was cancelled while this code ran, so it was stopped; ${LOST_STATE}`;
      return { logs: outcome.logs + notes, images: [], files, error: { name: 'Cancelled', message }, restarted: true };
    }
    case 'crash': {
      const message = `${outcome.reason || 'the sandbox stopped unexpectedly'}; ${LOST_STATE}`;
      return { logs: outcome.logs + notes, images: [], files, error: { name: 'SandboxCrash', message }, restarted: true };
    }
  }
}
