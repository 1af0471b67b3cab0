import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  CGROUP_PARENT,
  type CgroupHost,
  type GroupLimits,
  keyedValue,
  killPids,
  runningFlag,
  runningWeight,
  makeGroupDir,
  pidsIn,
  readControl,
  removeDirs,
  type SessionGroup,
  waitUntil,
  writeControl,
} from './cgroup.js';

const REQUIRED = ['memory', 'pids', 'cpu'];
const CPU_PERIOD_US = 100_000;

/**
 * cgroup v2: one unified hierarchy. Session groups sit in one parent at the top, which gets the memory, pids and
 * cpu controllers; the top cgroup is exempt from the rule that a cgroup with processes cannot delegate them.
 */
export function createCgroupV2Host(root: string): CgroupHost {
  const available = readControl(join(root, 'cgroup.controllers')).trim().split(/\s+/);
  const missing = REQUIRED.filter((c) => !available.includes(c));
  if (missing.length > 0) throw new Error(`cgroup v2 lacks the ${missing.join(', ')} controller(s)`);
  const enable = REQUIRED.map((c) => `+${c}`).join(' ');
  writeControl(join(root, 'cgroup.subtree_control'), enable);
  const parent = join(root, CGROUP_PARENT);
  mkdirSync(parent, { recursive: true });
  writeControl(join(parent, 'cgroup.subtree_control'), enable);
  const weigh = runningWeight((running) => writeControl(join(parent, 'cpu.weight'), String(Math.min(10_000, 100 * running))));
  return {
    description: `cgroup v2 (${REQUIRED.join(', ')}, freeze)`,
    create: (name, limits) => createGroup(join(parent, name), limits, runningFlag(weigh)),
    remove: (name) => destroy(join(parent, name)),
  };
}

function createGroup(dir: string, limits: GroupLimits, running: (on: boolean) => void): SessionGroup {
  makeGroupDir(dir);
  running(true);
  writeControl(join(dir, 'memory.max'), String(limits.memoryBytes));
  if (existsSync(join(dir, 'memory.swap.max'))) writeControl(join(dir, 'memory.swap.max'), '0');
  writeControl(join(dir, 'pids.max'), String(limits.maxProcesses));
  writeControl(join(dir, 'cpu.max'), `${Math.max(1000, Math.round(limits.cpus * CPU_PERIOD_US))} ${CPU_PERIOD_US}`);
  return {
    procsFiles: [join(dir, 'cgroup.procs')],
    async freeze() {
      writeControl(join(dir, 'cgroup.freeze'), '1'); // takes effect within milliseconds; nothing needs to wait for it
      running(false);
    },
    async thaw() {
      writeControl(join(dir, 'cgroup.freeze'), '0');
      running(true);
    },
    oomKills() {
      return keyedValue(readControl(join(dir, 'memory.events')), 'oom_kill');
    },
    async destroy() {
      running(false);
      await destroy(dir);
    },
  };
}

async function destroy(dir: string): Promise<void> {
  if (!existsSync(dir)) return;
  const procs = [join(dir, 'cgroup.procs')];
  // cgroup.kill (Linux 5.14) kills frozen processes too; before it, signals are sent and the group thawed.
  if (existsSync(join(dir, 'cgroup.kill'))) writeControl(join(dir, 'cgroup.kill'), '1');
  await waitUntil(() => {
    const pids = pidsIn(procs);
    killPids(pids);
    writeControl(join(dir, 'cgroup.freeze'), '0');
    return pids.length === 0;
  }, 2000);
  await removeDirs([dir]);
}
