import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdir, rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { SANDBOX_ENV, sandboxMounts } from './launcher.js';
import type { SandboxOptions } from './options.js';
import type { SessionHome } from './session-home.js';
import { socketChannel, type WorkerChannel } from './worker-channel.js';
import type { WorkerConfig } from './worker-process.js';

const TOKEN_BYTES = 16;
const STDERR_TAIL = 4096;

interface PendingSpawn {
  uid: number;
  socket?: Socket;
  pid?: number;
  resolve(channel: WorkerChannel): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

type ZygoteReply =
  | { type: 'ready' }
  | { type: 'spawned'; id: string; pid: number }
  | { type: 'done'; id: string }
  | { type: 'exited'; pid: number }
  | { type: 'failed'; id: string; reason: string };

/**
 * The fork server: one Python process (python/zygote.py, root on the host, running no user code) that has
 * imported numpy, pandas and matplotlib once and forks a worker per session, which confines itself as
 * bubblewrap would (python/confine.py). A session starts in milliseconds and shares the imported pages
 * copy-on-write. Each fork connects back to this server's private socket with a one-time token; that socket
 * becomes the keeper's channel, like a bubblewrap worker's stdin and stdout.
 */
export class Zygote {
  private readonly pending = new Map<string, PendingSpawn>();
  private readonly mounts = new Map<string, { resolve(): void; reject(err: Error): void }>();
  private stderrTail = '';
  private readyWaiter: ((err?: Error) => void) | undefined;
  private listening: Promise<void> | undefined;
  alive = true;

  private constructor(
    private readonly child: ChildProcessWithoutNullStreams,
    private readonly server: Server,
    private readonly dir: string,
    private readonly options: SandboxOptions,
  ) {
    child.stdin.on('error', () => undefined);
    child.stderr.on('data', (chunk: Buffer) => {
      this.stderrTail = (this.stderrTail + chunk.toString('utf8')).slice(-STDERR_TAIL);
    });
    createInterface({ input: child.stdout }).on('line', (line) => this.onReply(JSON.parse(line) as ZygoteReply));
    child.once('exit', (code, signal) => this.onExit(`the zygote exited (${signal ?? `status ${code}`})${this.stderrTail ? `: ${this.stderrTail.trim()}` : ''}`));
    child.once('error', (err) => this.onExit(`the zygote could not start: ${err.message}`));
    server.on('connection', (socket) => this.onConnection(socket));
  }

  /** Starts the zygote from the prepared runtime directory and waits until its imports are done. */
  static async start(options: SandboxOptions, runtimeDir: string): Promise<Zygote> {
    // Its own directory: a zygote started after one that died must not share (and lose) its socket path.
    const dir = join(options.rootDir, `zygote-${process.pid}-${randomBytes(4).toString('hex')}`);
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { mode: 0o700 });
    const server = createServer();
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(join(dir, 'spawn.sock'), resolve));
    // No host path in the command line or the code's file names: the forks inherit both (see zygote.py).
    const boot = "exec(compile(open('zygote.py').read(), '/opt/assistd/zygote.py', 'exec'))";
    const child = spawn(options.pythonPath, ['-u', '-B', '-s', '-c', boot], {
      env: { ...SANDBOX_ENV },
      cwd: runtimeDir,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const zygote = new Zygote(child, server, dir, options);
    const ready = new Promise<Error | undefined>((resolve) => {
      zygote.readyWaiter = resolve;
    });
    const timer = setTimeout(() => zygote.readyWaiter?.(new Error('the zygote timed out importing its libraries')), options.startTimeoutMs);
    const failure = await ready;
    clearTimeout(timer);
    if (failure) {
      await zygote.close();
      throw failure;
    }
    return zygote;
  }

  /** Forks a worker for `home`; resolves with its channel once it has connected (it reports ready over it). */
  async spawn(home: SessionHome, runtimeDir: string, config: WorkerConfig): Promise<WorkerChannel> {
    if (!this.alive) throw new Error('the zygote is not running');
    const root = join(home.dir, 'root');
    await mkdir(root, { mode: 0o755 }).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'EEXIST') throw err;
    });
    const id = randomBytes(TOKEN_BYTES).toString('hex');
    const plan = {
      uid: home.uid,
      socket: join(this.dir, 'spawn.sock'),
      procsFiles: home.group.procsFiles,
      root,
      chdir: '/mnt/data',
      mounts: sandboxMounts(home, runtimeDir),
      env: SANDBOX_ENV,
      config,
    };
    return new Promise<WorkerChannel>((resolve, reject) => {
      const timer = setTimeout(() => this.fail(id, new Error('the forked worker did not connect in time')), this.options.startTimeoutMs);
      this.pending.set(id, { uid: home.uid, resolve, reject, timer });
      this.child.stdin.write(`${JSON.stringify({ op: 'spawn', id, plan })}\n`);
    });
  }

  /** Mounts a session's tmpfs (nosuid, nodev) on the host: a syscall in the zygote instead of running mount(8). */
  mountTmpfs(target: string, options: string): Promise<void> {
    if (!this.alive) return Promise.reject(new Error('the zygote is not running'));
    const id = randomBytes(TOKEN_BYTES).toString('hex');
    return new Promise((resolve, reject) => {
      this.mounts.set(id, { resolve, reject });
      this.child.stdin.write(`${JSON.stringify({ op: 'mount', id, target, options })}\n`);
    });
  }

  /** Kills the zygote and stops listening; workers it forked live on, on the connections they hold. */
  /** Ends the zygote and waits for it to be gone (sessions it forked live on: they are not its children's group). */
  async close(): Promise<void> {
    this.alive = false;
    const gone = this.child.exitCode !== null || this.child.signalCode !== null ? Promise.resolve() : once(this.child, 'exit');
    this.child.kill('SIGKILL');
    await Promise.all([gone, this.stopListening()]);
  }

  private stopListening(): Promise<void> {
    this.listening ??= new Promise<void>((resolve) => {
      this.server.close();
      void rm(this.dir, { recursive: true, force: true }).then(() => resolve(), () => resolve());
    });
    return this.listening;
  }

  private onReply(reply: ZygoteReply): void {
    if (reply.type === 'ready') {
      this.readyWaiter?.();
      this.readyWaiter = undefined;
      return;
    }
    if (reply.type === 'exited') {
      const [id] = [...this.pending].find(([, entry]) => entry.pid === reply.pid) ?? [];
      if (id) this.fail(id, new Error('the forked worker exited before it connected'));
      return;
    }
    const mount = this.mounts.get(reply.id);
    if (mount) {
      this.mounts.delete(reply.id);
      return reply.type === 'failed' ? mount.reject(new Error(reply.reason)) : mount.resolve();
    }
    const entry = this.pending.get(reply.id);
    if (!entry || reply.type === 'done') return;
    if (reply.type === 'failed') return this.fail(reply.id, new Error(`the zygote could not fork: ${reply.reason}`));
    entry.pid = reply.pid;
    this.settle(reply.id, entry);
  }

  /** A fork's first bytes are its token; anything else connecting is dropped. */
  private onConnection(socket: Socket): void {
    socket.on('error', () => undefined);
    const timer = setTimeout(() => socket.destroy(), this.options.startTimeoutMs);
    const read = () => {
      const token = socket.read(TOKEN_BYTES * 2) as Buffer | null;
      if (token === null) return;
      socket.off('readable', read);
      clearTimeout(timer);
      const id = token.toString('latin1');
      const entry = this.pending.get(id);
      if (!entry || entry.socket) return void socket.destroy();
      entry.socket = socket;
      this.settle(id, entry);
    };
    socket.on('readable', read);
  }

  private settle(id: string, entry: PendingSpawn): void {
    if (!entry.socket || entry.pid === undefined) return;
    clearTimeout(entry.timer);
    this.pending.delete(id);
    entry.resolve(socketChannel(entry.socket, entry.pid, entry.uid));
  }

  private fail(id: string, err: Error): void {
    const entry = this.pending.get(id);
    if (!entry) return;
    clearTimeout(entry.timer);
    this.pending.delete(id);
    entry.socket?.destroy();
    entry.reject(err);
  }

  private onExit(reason: string): void {
    this.alive = false;
    void this.stopListening();
    this.readyWaiter?.(new Error(reason));
    this.readyWaiter = undefined;
    for (const id of [...this.pending.keys()]) this.fail(id, new Error(reason));
    for (const mount of this.mounts.values()) mount.reject(new Error(reason));
    this.mounts.clear();
  }
}
