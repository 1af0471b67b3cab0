import type { Readable } from 'node:stream';
import { createBwrapSandbox } from './bwrap-sandbox.js';
import type { SandboxOptions } from './options.js';

export type { SandboxOptions } from './options.js';
export { defaultSandboxOptions } from './options.js';

/** A host file to copy into the session's /mnt/data before the code runs. */
export interface SandboxFileIn {
  /** Target name in /mnt/data: one path component. */
  name: string;
  /** Host path to copy from. */
  path: string;
}

/**
 * A file under /mnt/data that the call created or changed, offered to `ExecuteRequest.saveFile` while the
 * session is frozen; `name` is its path relative to /mnt/data. `content` streams `size` bytes.
 */
export interface SandboxFileOut {
  name: string;
  size: number;
  content: Readable;
}

/** A file the call produced, as `saveFile` stored it. */
export interface SandboxFileSaved {
  name: string;
  /** What `saveFile` returned (the caller's id for it). */
  id: string;
}

/** One code execution in the session named by `sessionKey` (a thread id). */
export interface ExecuteRequest {
  sessionKey: string;
  code: string;
  files?: SandboxFileIn[];
  /** Overrides the sandbox's default per-call timeout. */
  timeoutMs?: number;
  /**
   * The session's memory limit (a container's `memory_limit`) in place of the sandbox's default; it takes effect
   * when this call starts the session, and a live session keeps the limit it started with.
   */
  memoryBytes?: number;
  /** Aborting stops the code like a timeout does (a cancelled run); a call still queued does not start. */
  signal?: AbortSignal;
  /**
   * Stores one output file, streaming its content, and returns its id. Called for each new or changed file
   * within the output caps; without it no file is read back.
   */
  saveFile?: (file: SandboxFileOut) => Promise<string>;
}

/** What a call produced. Failures of the user's code are values here, never rejections. */
export interface ExecuteResult {
  /** stdout and stderr interleaved and capped, followed by the traceback when the code raised. */
  logs: string;
  /** PNG bytes, one per figure shown or left open. */
  images: Buffer[];
  /** The files `saveFile` stored; files over a cap, or that it failed to store, are named in `logs`. */
  files: SandboxFileSaved[];
  /** The Python exception, or `Timeout` / `Cancelled` / `SandboxCrash` / `InputFileError`, with a message fit for the model. */
  error?: { name: string; message: string };
  /** The worker was killed (timeout, crash, memory); the next call starts a fresh Python process. */
  restarted: boolean;
}

/** Whether this host can run code, and if not, what to install. */
export interface SandboxStatus {
  available: boolean;
  reason?: string;
  /** How each session's memory, CPU and processes are bounded: its own cgroup, or per-process rlimits only. */
  limits?: string;
}

/** Counts for /metrics, read when scraped. */
export interface SandboxStats {
  /** Sessions holding a slot (each a thread's Python state). */
  sessions: number;
  /** Started workers waiting in the warm pool. */
  pooled: number;
  /** Python workers started since the sandbox was created (warm, and restarts after a kill). */
  workerStarts: number;
  /** Workers killed during a call, by cause: `timeout`, `cancelled`, `crash` (memory limit included). */
  kills: Readonly<Record<'timeout' | 'cancelled' | 'crash', number>>;
}

/** Runs Python for threads: one isolated, stateful session per session key. */
export interface Sandbox {
  status(): SandboxStatus;
  stats(): SandboxStats;
  /** Prepares the runtime and fills the warm pool; resolves with the resulting status (for readiness checks). */
  warmUp(): Promise<SandboxStatus>;
  execute(request: ExecuteRequest): Promise<ExecuteResult>;
  /** Ends a session now: its processes are killed and its files removed. */
  closeSession(sessionKey: string): Promise<void>;
  /** Closes every session and the warm pool. */
  close(): Promise<void>;
  /** Calls `listener` with the key of each session that ends (evicted for room, idle or too old, closed). */
  onSessionEnd(listener: (sessionKey: string) => void): void;
}

/** Rejection of `execute` when the host cannot run the sandbox; the message says what to install. */
export class SandboxUnavailableError extends Error {
  override name = 'SandboxUnavailableError';
}

/** Creates the bubblewrap sandbox. Never throws: problems show in `status()` and as SandboxUnavailableError. */
export function createSandbox(options?: Partial<SandboxOptions>): Sandbox {
  return createBwrapSandbox(options);
}
