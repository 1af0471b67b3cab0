import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Everything the sandbox can be tuned with; `createSandbox` fills what is left out with the defaults below. */
export interface SandboxOptions {
  /** Host directory holding the runtime files and one directory per session (each with its own tmpfs). */
  rootDir: string;
  /** Pre-warmed workers kept ready for new sessions. */
  poolSize: number;
  /**
   * Fork workers from a zygote that has imported the libraries once (milliseconds per session, shared pages);
   * when off, or when the zygote cannot start, each worker is its own bubblewrap process.
   */
  zygote: boolean;
  /** Default per-call timeout; a call that runs longer is interrupted, then its worker is killed. */
  callTimeoutMs: number;
  /** How long after an interrupt the worker may still report before it is killed. */
  interruptGraceMs: number;
  /** Maximum lifetime of a session, counted from its creation. */
  sessionTtlMs: number;
  /** A session unused for this long is closed. */
  idleTtlMs: number;
  /**
   * Memory of a session, all its processes, memfd and tmpfs pages together (its cgroup's limit); also the
   * address-space limit of each process (RLIMIT_AS), the only memory bound where no cgroup can be made.
   */
  memoryBytes: number;
  /** CPU a session may use while a call runs (1 = one core); between calls it is frozen and uses none. */
  cpus: number;
  /** Put each session in its own cgroup when the host allows it (otherwise: rlimits, and SIGSTOP between calls). */
  cgroups: boolean;
  /** Sessions alive at once; a new one evicts the least recently used idle session, or waits its turn. */
  maxSessions: number;
  /** Size of the session's tmpfs, shared by /mnt/data, /tmp and /dev/shm. */
  diskBytes: number;
  /** Cap on stdout+stderr kept per call; the rest is dropped with a notice. */
  maxOutputBytes: number;
  /** Largest single file read back from /mnt/data. */
  maxFileBytes: number;
  /** Most files, and bytes, saved from /mnt/data per call and over a session's life; the rest is reported. */
  maxFilesPerCall: number;
  maxOutputBytesPerCall: number;
  maxFilesPerSession: number;
  maxOutputBytesPerSession: number;
  /** Processes (and threads) the session's uid may have (RLIMIT_NPROC). */
  maxProcesses: number;
  /** Open files per process (RLIMIT_NOFILE). */
  maxOpenFiles: number;
  /** First uid handed to sessions; each session gets a random, unused uid in [uidBase, uidBase + uidCount). */
  uidBase: number;
  uidCount: number;
  /** How long a worker may take to start and import numpy, pandas and matplotlib. */
  startTimeoutMs: number;
  pythonPath: string;
  bwrapPath: string;
  setprivPath: string;
  mountPath: string;
  umountPath: string;
}

/** The defaults: issue 4's limits (120 s calls, 1 h sessions, 30 min idle) and Debian's binary paths. */
export const defaultSandboxOptions: SandboxOptions = {
  rootDir: join(tmpdir(), 'assistd-sandbox'),
  poolSize: 2,
  zygote: true,
  callTimeoutMs: 120_000,
  interruptGraceMs: 1_000,
  sessionTtlMs: 60 * 60_000,
  idleTtlMs: 30 * 60_000,
  memoryBytes: 2 * 1024 ** 3,
  cpus: 1,
  cgroups: true,
  maxSessions: 32,
  diskBytes: 512 * 1024 ** 2,
  maxOutputBytes: 256 * 1024,
  maxFileBytes: 64 * 1024 ** 2,
  maxFilesPerCall: 50,
  maxOutputBytesPerCall: 128 * 1024 ** 2,
  maxFilesPerSession: 500,
  maxOutputBytesPerSession: 1024 ** 3,
  maxProcesses: 64,
  maxOpenFiles: 1024,
  uidBase: 1_800_000_000,
  uidCount: 1_000_000,
  startTimeoutMs: 60_000,
  pythonPath: '/usr/bin/python3',
  bwrapPath: '/usr/bin/bwrap',
  setprivPath: '/usr/bin/setpriv',
  mountPath: '/usr/bin/mount',
  umountPath: '/usr/bin/umount',
};

/** Merges caller options over the defaults, ignoring keys given as undefined. */
export function resolveSandboxOptions(options: Partial<SandboxOptions> = {}): SandboxOptions {
  const merged: SandboxOptions = { ...defaultSandboxOptions };
  for (const [key, value] of Object.entries(options)) {
    if (value !== undefined) (merged as unknown as Record<string, unknown>)[key] = value;
  }
  return merged;
}
