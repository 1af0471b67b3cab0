import { mkdir, realpath } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { detectCgroups } from './cgroup.js';
import { checkHost } from './host-check.js';
import { resolveSandboxOptions, type SandboxOptions } from './options.js';
import { type WarmWorker, WarmPool } from './pool.js';
import { killProcessesOfUid } from './proc-scan.js';
import { prepareRuntime } from './runtime-dir.js';
import {
  type ExecuteRequest,
  type ExecuteResult,
  type Sandbox,
  type SandboxStats,
  type SandboxStatus,
  SandboxUnavailableError,
} from './sandbox.js';
import { Session } from './session.js';
import { claimHome, installRuntime, releaseHome, type SessionHome, sweepStaleHomes } from './session-home.js';
import { SessionTable } from './session-table.js';
import { StartGate } from './start-gate.js';
import { WorkerProcess } from './worker-process.js';
import { Zygote } from './zygote.js';

/** A call's error when its worker was killed, as the kill's cause in stats(). */
const KILL_CAUSES: Record<string, 'timeout' | 'cancelled'> = { Timeout: 'timeout', Cancelled: 'cancelled' };

/** The bubblewrap implementation of Sandbox; `createSandbox` is the public way in. */
export function createBwrapSandbox(options?: Partial<SandboxOptions>): Sandbox {
  return new BwrapSandbox(resolveSandboxOptions(options));
}

class BwrapSandbox implements Sandbox {
  private state: SandboxStatus;
  private prepared: Promise<string> | undefined;
  /** The fork server; undefined inside when it is turned off or could not start (workers are then bwrap processes). */
  private zygote: Promise<Zygote | undefined> | undefined;
  private readonly pool: WarmPool;
  private readonly sessions: SessionTable;
  /** Worker starts in flight at once: one per core, the rest wait their turn. */
  private readonly starts = new StartGate(availableParallelism());
  private readonly sweeper: NodeJS.Timeout | undefined;
  private closed = false;
  private workerStarts = 0;
  /** Whether the zygote has forked a working worker yet. */
  private forked = false;
  private readonly kills = { timeout: 0, cancelled: 0, crash: 0 };
  /** Memory limits asked for sessions about to start (ExecuteRequest.memoryBytes), by session key. */
  private readonly memoryAsked = new Map<string, number>();
  private readonly endListeners: Array<(sessionKey: string) => void> = [];

  constructor(private readonly options: SandboxOptions) {
    this.state = checkHost(options);
    if (this.state.available) this.state.limits = describeLimits(options);
    this.sessions = new SessionTable(options.maxSessions, (key, evicted) => this.newSession(key, evicted), (key) => {
      for (const listener of this.endListeners) listener(key);
    });
    this.pool = new WarmPool(options.poolSize, () => this.startWarm(), (warm) => this.discardWarm(warm));
    if (!this.state.available) return;
    this.prepare().then(() => this.pool.fill(), () => undefined);
    const every = Math.max(50, Math.min(30_000, options.idleTtlMs / 2, options.sessionTtlMs / 2));
    this.sweeper = setInterval(() => this.sweep(), every);
    this.sweeper.unref();
  }

  status(): SandboxStatus {
    return { ...this.state };
  }

  stats(): SandboxStats {
    return { sessions: this.sessions.size, pooled: this.pool.idle, workerStarts: this.workerStarts, kills: this.kills };
  }

  async warmUp(): Promise<SandboxStatus> {
    if (this.state.available || this.prepared) {
      try {
        await this.prepare();
        await this.pool.whenFull();
      } catch {
        // the failure is in this.state
      }
    }
    return this.status();
  }

  async execute(request: ExecuteRequest): Promise<ExecuteResult> {
    if (this.closed) throw new SandboxUnavailableError('the sandbox is closed');
    if (!this.state.available && !this.prepared) throw new SandboxUnavailableError(this.state.reason);
    await this.prepare().catch(() => {
      throw new SandboxUnavailableError(this.state.reason);
    });
    const cancelled = (): ExecuteResult => ({ logs: '', images: [], files: [], error: { name: 'Cancelled', message: 'the run was cancelled before this code ran' }, restarted: false });
    if (request.memoryBytes !== undefined) this.memoryAsked.set(request.sessionKey, request.memoryBytes);
    // Read when the call starts a session (synchronously, at the latest when it is granted a slot): not kept after.
    const result = await this.sessions.run(request.sessionKey, (session) => session.execute(request), cancelled, request.signal).finally(() => this.memoryAsked.delete(request.sessionKey));
    if (result.restarted) this.kills[KILL_CAUSES[result.error?.name ?? ''] ?? 'crash']++;
    return result;
  }

  async closeSession(sessionKey: string): Promise<void> {
    await this.sessions.remove(sessionKey)?.close();
  }

  onSessionEnd(listener: (sessionKey: string) => void): void {
    this.endListeners.push(listener);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.sweeper) clearInterval(this.sweeper);
    const sessions = this.sessions.clear(() => new SandboxUnavailableError('the sandbox is closed'));
    await Promise.all(sessions.map((session) => session.close()));
    await this.pool.close();
    await (await this.zygote?.catch(() => undefined))?.close();
  }

  /** A session with the memory limit its first call asked for: warm workers have the default one, others start cold. */
  private newSession(key: string, evicted: Promise<void>): Session {
    const memoryBytes = this.memoryAsked.get(key) ?? this.options.memoryBytes;
    this.memoryAsked.delete(key);
    const options = memoryBytes === this.options.memoryBytes ? this.options : { ...this.options, memoryBytes };
    return new Session({
      options,
      acquire: () => evicted.then(() => (options === this.options ? this.pool.take() : this.startWarm(options))),
      restart: (home) => this.starts.run(() => this.startWorker(home, options)),
      release: (home) => this.releaseHome(home),
      onIdle: () => this.sessions.changed(),
    });
  }

  private sweep(): void {
    const now = Date.now();
    for (const session of this.sessions.removeIdle((s) => s.expired(now))) void session.close();
  }

  private prepare(): Promise<string> {
    this.prepared ??= (async () => {
      await mkdir(this.options.rootDir, { recursive: true, mode: 0o711 });
      // Files read back are checked against their real path, so the root must be canonical.
      this.options.rootDir = await realpath(this.options.rootDir);
      await sweepStaleHomes(this.options);
      return prepareRuntime(this.options);
    })().catch((err: Error) => {
      this.state = { available: false, reason: `the sandbox runtime could not be prepared: ${err.message}` };
      throw err;
    });
    return this.prepared;
  }

  /** The running zygote, started (again) when needed; undefined when turned off or it cannot start here. */
  private async forkServer(): Promise<Zygote | undefined> {
    if (!this.options.zygote || this.closed) return undefined;
    this.zygote ??= this.prepare()
      .then((runtimeDir) => Zygote.start(this.options, runtimeDir))
      .catch(() => undefined);
    const zygote = await this.zygote;
    if (!zygote || zygote.alive) return zygote;
    this.zygote = undefined; // it died (it never should): start another for this and later sessions
    return this.forkServer();
  }

  /** Forks the worker when the zygote runs; a fork that fails is retried as its own bubblewrap process. */
  private async launch(home: SessionHome, runtimeDir: string, options: SandboxOptions): Promise<WorkerProcess> {
    const spec = { home, runtimeDir, options };
    const zygote = await this.forkServer();
    if (zygote) {
      try {
        const worker = await WorkerProcess.start(spec, zygote);
        this.forked = true;
        return worker;
      } catch {
        // A host where forks never worked (say, no user namespaces for root) keeps to bubblewrap from now on.
        if (!this.forked) {
          this.zygote = Promise.resolve(undefined);
          await zygote.close();
        }
        await home.group.thaw();
        await killProcessesOfUid(home.uid);
      }
    }
    return WorkerProcess.start(spec);
  }

  /** A worker that cannot start means this host cannot run code now: say so in status() and to the caller. */
  private async startWorker(home: SessionHome, options = this.options): Promise<WorkerProcess> {
    const runtimeDir = await this.prepare();
    try {
      const runtime = await installRuntime(home, runtimeDir);
      const worker = await this.launch(home, runtime, options);
      this.state = { available: true, limits: describeLimits(this.options) };
      this.workerStarts++;
      return worker;
    } catch (err) {
      this.state = { available: false, reason: (err as Error).message };
      throw new SandboxUnavailableError((err as Error).message, { cause: err });
    }
  }

  /** Home and worker are made under the start gate together: a burst of new sessions is served in order. */
  private startWarm(options = this.options): Promise<WarmWorker> {
    return this.starts.run(() => this.claimAndStart(options));
  }

  private async claimAndStart(options: SandboxOptions): Promise<WarmWorker> {
    await this.prepare();
    // The zygote mounts the home's tmpfs with a syscall; should that fail, mount(8) does as before.
    const zygote = await this.forkServer();
    const viaZygote = zygote && (await claimHome(options, (target, mountOptions) => zygote.mountTmpfs(target, mountOptions)).catch(() => undefined));
    const home = viaZygote || (await claimHome(options).catch((err: Error) => {
      this.state = { available: false, reason: `could not create a session directory: ${err.message}` };
      throw new SandboxUnavailableError(this.state.reason, { cause: err });
    }));
    try {
      return { home, worker: await this.startWorker(home, options) };
    } catch (err) {
      await this.releaseHome(home);
      throw err;
    }
  }

  private async discardWarm(warm: WarmWorker): Promise<void> {
    await warm.worker.kill();
    await this.releaseHome(warm.home);
  }

  private async releaseHome(home: SessionHome): Promise<void> {
    await home.group.destroy();
    await killProcessesOfUid(home.uid);
    await releaseHome(this.options, home.dir);
  }
}

/** For /readyz: what bounds a session's memory, CPU and processes on this host. */
function describeLimits(options: SandboxOptions): string {
  const cgroups = options.cgroups ? detectCgroups() : { reason: 'cgroups are turned off' };
  if ('host' in cgroups) return `one ${cgroups.host.description} per session`;
  return `rlimits per process only (no cgroup: ${cgroups.reason}); sessions are stopped with SIGSTOP between calls`;
}
