import { readFileSync } from 'node:fs';
import type { SessionGroup } from './cgroup.js';
import { killProcessesOfUid, processesOfUid } from './proc-scan.js';

function signalAll(pids: number[], signal: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

/**
 * A session's processes found by their uid, for hosts where no cgroup can be made: it freezes them with SIGSTOP
 * (repeated until no running process is left, as one could start another between passes) and kills them by uid.
 * Memory and CPU are then bounded only by the per-process rlimits.
 */
export function createUidGroup(uid: number): SessionGroup {
  return {
    procsFiles: [],
    async freeze() {
      for (let pass = 0; pass < 5; pass++) {
        const running = processesOfUid(uid).filter((pid) => !stopped(pid));
        if (running.length === 0) return;
        signalAll(running, 'SIGSTOP');
        await new Promise((resolve) => setTimeout(resolve, 2)); // a signal takes effect when the process is next scheduled
      }
    },
    async thaw() {
      signalAll(processesOfUid(uid), 'SIGCONT');
    },
    oomKills: () => 0,
    async destroy() {
      await killProcessesOfUid(uid);
    },
  };
}

function stopped(pid: number): boolean {
  try {
    return /^State:\s+T/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return true;
  }
}
