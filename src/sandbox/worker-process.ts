import type { SessionGroup } from './cgroup.js';
import { type LaunchSpec, spawnSandboxed } from './launcher.js';
import type { SandboxOptions } from './options.js';
import { killProcessesOfUid } from './proc-scan.js';
import { encodeFrame, FrameDecoder, ProtocolError, type WorkerReply, type WorkerRequest } from './protocol.js';
import { childChannel, type WorkerChannel } from './worker-channel.js';
import type { Zygote } from './zygote.js';

/** How one call ended, before it is turned into the public ExecuteResult. */
export type RunOutcome =
  | { kind: 'result'; logs: string; images: Buffer[]; error: { name: string; message: string; traceback: string } | null }
  | { kind: 'timeout'; logs: string }
  | { kind: 'cancelled'; logs: string }
  | { kind: 'crash'; reason: string; logs: string };

/** One sandboxed Python worker (keeper + kernel) and the channel to it. */
export class WorkerProcess {
  private readonly decoder = new FrameDecoder();
  private readonly replies: Array<WorkerReply | null> = [];
  private waiter: ((reply: WorkerReply | null) => void) | undefined;
  private failure = '';
  private nextId = 1;
  alive = true;

  private constructor(
    private readonly channel: WorkerChannel,
    private readonly uid: number,
    private readonly group: SessionGroup,
  ) {
    channel.onExit((reason) => {
      this.alive = false;
      this.failure ||= reason;
      this.deliver(null);
    });
    channel.onData((chunk) => this.onData(chunk));
  }

  /** Starts a worker in its own bubblewrap process, or forked by `zygote`, and waits until it is ready. */
  static async start(spec: Omit<LaunchSpec, 'pythonArgs'>, zygote?: Zygote): Promise<WorkerProcess> {
    const { options } = spec;
    const config = workerConfig(options);
    const channel = zygote
      ? await zygote.spawn(spec.home, spec.runtimeDir, config)
      : childChannel(spawnSandboxed({ ...spec, pythonArgs: ['-u', '-B', '-s', '/opt/assistd/worker.py', JSON.stringify(config)] }));
    const worker = new WorkerProcess(channel, spec.home.uid, spec.home.group);
    const reply = await worker.nextReply(options.startTimeoutMs);
    if (typeof reply === 'object' && reply?.type === 'ready') return worker;
    await worker.kill();
    const detail = typeof reply === 'string' ? 'timed out' : reply?.type === 'crash' ? `${reply.reason}\n${reply.logs}` : worker.failure;
    throw new Error(`sandbox worker failed to start: ${detail.trim().slice(-2000)}`);
  }

  /**
   * Runs code; on timeout, or when `signal` aborts, it interrupts, waits `graceMs` for the traceback, then kills
   * the worker.
   */
  async run(code: string, timeoutMs: number, graceMs: number, signal?: AbortSignal): Promise<RunOutcome> {
    if (!this.alive) return { kind: 'crash', reason: this.failure, logs: '' };
    const id = this.nextId++;
    this.send({ op: 'exec', id, code });
    const reply = await this.nextReply(timeoutMs, signal);
    if (reply === 'timeout' || reply === 'aborted') {
      const kind = reply === 'timeout' ? 'timeout' : 'cancelled';
      this.send({ op: 'interrupt' });
      const late = await this.nextReply(graceMs);
      await this.kill();
      if (late && late !== 'timeout' && late !== 'aborted' && late.type !== 'ready') {
        const traceback = late.type === 'result' ? late.error?.traceback ?? '' : '';
        return { kind, logs: late.logs + traceback };
      }
      return { kind, logs: '' };
    }
    if (reply === null) return { kind: 'crash', reason: this.failure, logs: '' };
    if (reply.type === 'result' && reply.id === id) {
      const images = reply.images.map((b64) => Buffer.from(b64, 'base64'));
      return { kind: 'result', logs: reply.logs, images, error: reply.error };
    }
    await this.kill();
    if (reply.type === 'crash') return { kind: 'crash', reason: reply.reason, logs: reply.logs };
    return { kind: 'crash', reason: 'the worker answered out of turn', logs: '' };
  }

  /** Kills the sandbox (bwrap's death takes its pid namespace along) and anything left with its uid. */
  async kill(): Promise<void> {
    if (this.alive) this.channel.kill();
    await this.group.thaw(); // a frozen process dies only once thawed
    await this.channel.closed;
    await killProcessesOfUid(this.uid);
  }

  private send(request: WorkerRequest): void {
    if (this.alive) this.channel.write(encodeFrame(request));
  }

  private onData(chunk: Buffer): void {
    let replies: WorkerReply[];
    try {
      replies = this.decoder.push(chunk);
    } catch (err) {
      this.failure = err instanceof ProtocolError ? err.message : String(err);
      this.channel.kill();
      return;
    }
    for (const reply of replies) this.deliver(reply);
  }

  private deliver(reply: WorkerReply | null): void {
    const waiter = this.waiter;
    this.waiter = undefined;
    if (waiter) waiter(reply);
    else this.replies.push(reply);
  }

  /** Next reply; null once the worker has exited, 'timeout' if nothing came in time, 'aborted' if `signal` aborted. */
  private nextReply(timeoutMs: number, signal?: AbortSignal): Promise<WorkerReply | null | 'timeout' | 'aborted'> {
    if (this.replies.length > 0) return Promise.resolve(this.replies.shift() ?? null);
    if (!this.alive) return Promise.resolve(null);
    if (signal?.aborted) return Promise.resolve('aborted');
    return new Promise((resolve) => {
      const end = (outcome: WorkerReply | null | 'timeout' | 'aborted') => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        resolve(outcome);
      };
      const onAbort = () => {
        this.waiter = undefined;
        end('aborted');
      };
      const timer = setTimeout(() => {
        this.waiter = undefined;
        end('timeout');
      }, timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiter = end;
    });
  }
}

/** The keeper's limits (rlimits, output cap), as worker.py reads them. */
export function workerConfig(options: SandboxOptions): WorkerConfig {
  return {
    memoryBytes: options.memoryBytes,
    fileSizeBytes: options.diskBytes,
    maxProcesses: options.maxProcesses,
    maxOpenFiles: options.maxOpenFiles,
    maxOutputBytes: options.maxOutputBytes,
  };
}

export interface WorkerConfig {
  memoryBytes: number;
  fileSizeBytes: number;
  maxProcesses: number;
  maxOpenFiles: number;
  maxOutputBytes: number;
}
