import { readdirSync, readFileSync } from 'node:fs';

// procfs lives in memory: synchronous reads take microseconds, while the async API pays a thread-pool
// round trip per call and makes a scan of a busy host take hundreds of milliseconds.
function readProc(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** Host pids of the live processes whose real uid is `uid` (a session's uid belongs to that session alone). */
export function processesOfUid(uid: number): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const status = readProc(`/proc/${name}/status`);
    const match = /^Uid:\s+(\d+)/m.exec(status);
    // Zombies hold no memory and run nothing; their reaper (possibly the host's init) collects them.
    if (match && Number(match[1]) === uid && !/^State:\s+[ZX]/m.test(status)) pids.push(Number(name));
  }
  return pids;
}

/** Whether `pid` is a live process whose real uid is `uid`. */
export function runsAs(pid: number, uid: number): boolean {
  const status = readProc(`/proc/${pid}/status`);
  const match = /^Uid:\s+(\d+)/m.exec(status);
  return match !== null && Number(match[1]) === uid && !/^State:\s+[ZX]/m.test(status);
}

/**
 * Kills whatever still runs as `uid`, retrying until nothing is left. Killing bwrap normally tears the whole
 * pid namespace down; this is the backstop that makes "closed" mean no process of the session survives. A
 * namespace of many processes (a fork bomb) can take over a second to die on a loaded host: it waits up to 2 s.
 */
export async function killProcessesOfUid(uid: number, attempts = 80): Promise<boolean> {
  for (let i = 0; i < attempts; i++) {
    const pids = processesOfUid(uid);
    if (pids.length === 0) return true;
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return processesOfUid(uid).length === 0;
}

/** Resident and proportional set sizes, in bytes, of the given processes (from /proc/<pid>/smaps_rollup). */
export function memoryOf(pids: number[]): { rss: number; pss: number } {
  let rss = 0;
  let pss = 0;
  for (const pid of pids) {
    const text = readProc(`/proc/${pid}/smaps_rollup`);
    rss += Number(/^Rss:\s+(\d+) kB/m.exec(text)?.[1] ?? 0) * 1024;
    pss += Number(/^Pss:\s+(\d+) kB/m.exec(text)?.[1] ?? 0) * 1024;
  }
  return { rss, pss };
}
