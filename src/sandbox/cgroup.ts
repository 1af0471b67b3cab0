import { existsSync, mkdirSync, readFileSync, realpathSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createCgroupV1Host } from './cgroup-v1.js';
import { createCgroupV2Host } from './cgroup-v2.js';

/** What one session may use in all, whichever of its processes uses it. */
export interface GroupLimits {
  memoryBytes: number;
  /** CPU time per wall-clock second while the session runs (1 = one core). */
  cpus: number;
  maxProcesses: number;
}

/** The control of one session's processes as a whole: a cgroup, or its uid when no cgroup can be made. */
export interface SessionGroup {
  /** Files a process writes its own pid into to join the group before it execs the sandbox (none for a uid group). */
  readonly procsFiles: string[];
  /** Stops every process of the session until `thaw`: between calls a session uses no CPU. */
  freeze(): Promise<void>;
  thaw(): Promise<void>;
  /** Processes killed by the kernel because the session reached its memory limit, since the group was made. */
  oomKills(): number;
  /** Kills every process of the session and removes the group. */
  destroy(): Promise<void>;
}

/** A cgroup hierarchy this server can make session groups in. */
export interface CgroupHost {
  /** For /readyz: which cgroup version and controllers bound each session. */
  readonly description: string;
  create(name: string, limits: GroupLimits): SessionGroup;
  /** Removes a leftover group of that name (from a server that died), killing what still runs in it. */
  remove(name: string): Promise<void>;
}

/** Where session cgroups go: one parent per hierarchy, shared by every server on the host. */
export const CGROUP_PARENT = 'assistd-sandbox';

let detected: { host: CgroupHost } | { reason: string } | undefined;

/** Finds cgroup v2 (a unified hierarchy at the root) or v1 (one hierarchy per controller); cached. */
export function detectCgroups(root = '/sys/fs/cgroup'): { host: CgroupHost } | { reason: string } {
  if (detected) return detected;
  try {
    if (process.platform !== 'linux') throw new Error('cgroups need Linux');
    if (process.getuid?.() !== 0) throw new Error('making cgroups needs root');
    const host = existsSync(join(root, 'cgroup.controllers')) ? createCgroupV2Host(root) : createCgroupV1Host(root);
    detected = { host };
  } catch (err) {
    detected = { reason: (err as Error).message };
  }
  return detected;
}

/**
 * Keeps the sessions' parent group weighted like one process per running (thawed) session. The scheduler weighs
 * the parent as a single task against everything else on the host: without this, ten busy sessions together would
 * get the CPU one process gets. Returns the call each group makes when it starts or stops running.
 */
export function runningWeight(apply: (running: number) => void): (delta: 1 | -1) => void {
  let running = 0;
  return (delta) => {
    running = Math.max(0, running + delta);
    try {
      apply(Math.max(1, running));
    } catch {
      // the weight is a refinement; the limits hold without it
    }
  };
}

/** Tracks whether one group runs, reporting each change to `runningWeight`'s counter once. */
export function runningFlag(report: (delta: 1 | -1) => void): (running: boolean) => void {
  let now = false;
  return (running) => {
    if (running === now) return;
    now = running;
    report(running ? 1 : -1);
  };
}

/** Reads a control file; '' when it is gone. Control files live in memory, so sync calls take microseconds. */
export function readControl(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

export function writeControl(path: string, value: string): void {
  writeFileSync(path, value);
}

/** The number after `key` in a flat-keyed control file (memory.events, cpu.stat, memory.oom_control). */
export function keyedValue(text: string, key: string): number {
  const match = new RegExp(`^${key} (\\d+)$`, 'm').exec(text);
  return match ? Number(match[1]) : 0;
}

/** Creates `dir` under an existing parent, replacing a leftover of the same name. */
export function makeGroupDir(dir: string): void {
  try {
    mkdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
}

/** Pids listed in the cgroup.procs files given. */
export function pidsIn(procsFiles: string[]): number[] {
  const pids = new Set<number>();
  for (const file of procsFiles) {
    for (const line of readControl(file).split('\n')) if (line) pids.add(Number(line));
  }
  return [...pids];
}

export function killPids(pids: number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `done` every few milliseconds for up to `ms`; whether it became true. */
export async function waitUntil(done: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (let delay = 1; ; delay = Math.min(delay * 2, 25)) {
    if (done()) return true;
    if (Date.now() > deadline) return false;
    await sleep(delay);
  }
}

/** Removes group directories once their last process is gone (a dying process keeps a cgroup busy briefly). */
export async function removeDirs(dirs: string[]): Promise<void> {
  await waitUntil(() => {
    for (const dir of dirs) {
      try {
        rmdirSync(dir);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') return false;
      }
    }
    return true;
  }, 2000);
}

/** The canonical path of a hierarchy's mount (cpu and cpuacct are often one hierarchy under two names). */
export function canonical(path: string): string {
  return realpathSync(path);
}
