import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  canonical,
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

const REQUIRED = ['memory', 'cpu', 'pids', 'freezer'] as const;
const CFS_PERIOD_US = 100_000;

type Hierarchies = Record<(typeof REQUIRED)[number], string>;

/** cgroup v1: one hierarchy per controller, each mounted under the root; a session gets a group in each. */
export function createCgroupV1Host(root: string): CgroupHost {
  const parents = {} as Hierarchies;
  for (const controller of REQUIRED) {
    const mount = join(root, controller);
    if (!existsSync(join(mount, 'cgroup.procs'))) throw new Error(`no cgroup v2, and cgroup v1 has no ${controller} controller at ${mount}`);
    parents[controller] = join(canonical(mount), CGROUP_PARENT);
    mkdirSync(parents[controller], { recursive: true });
  }
  const dirsOf = (name: string) => [...new Set(Object.values(parents))].map((parent) => join(parent, name));
  const weigh = runningWeight((running) => writeControl(join(parents.cpu, 'cpu.shares'), String(Math.min(262_144, 1024 * running))));
  return {
    description: `cgroup v1 (${REQUIRED.join(', ')})`,
    create(name, limits) {
      return createGroup(parents, name, limits, dirsOf(name), runningFlag(weigh));
    },
    async remove(name) {
      await destroy(dirsOf(name), join(parents.freezer, name));
    },
  };
}

function createGroup(parents: Hierarchies, name: string, limits: GroupLimits, dirs: string[], running: (on: boolean) => void): SessionGroup {
  for (const dir of dirs) makeGroupDir(dir);
  running(true);
  const memory = join(parents.memory, name);
  const cpu = join(parents.cpu, name);
  const freezer = join(parents.freezer, name);
  writeControl(join(memory, 'memory.limit_in_bytes'), String(limits.memoryBytes));
  // With swap the limit above would only bound RAM; memsw bounds RAM + swap (absent when swap accounting is off).
  if (existsSync(join(memory, 'memory.memsw.limit_in_bytes'))) writeControl(join(memory, 'memory.memsw.limit_in_bytes'), String(limits.memoryBytes));
  writeControl(join(cpu, 'cpu.cfs_period_us'), String(CFS_PERIOD_US));
  writeControl(join(cpu, 'cpu.cfs_quota_us'), String(Math.max(1000, Math.round(limits.cpus * CFS_PERIOD_US))));
  writeControl(join(parents.pids, name, 'pids.max'), String(limits.maxProcesses));
  const state = join(freezer, 'freezer.state');
  return {
    procsFiles: dirs.map((dir) => join(dir, 'cgroup.procs')),
    async freeze() {
      writeControl(state, 'FROZEN'); // takes effect within milliseconds; nothing needs to wait for it
      running(false);
    },
    async thaw() {
      writeControl(state, 'THAWED');
      running(true);
    },
    oomKills() {
      return keyedValue(readControl(join(memory, 'memory.oom_control')), 'oom_kill');
    },
    async destroy() {
      running(false);
      await destroy(dirs, freezer);
    },
  };
}

/** A frozen process only dies once thawed, so the group is thawed after the kill signals are queued. */
async function destroy(dirs: string[], freezer: string): Promise<void> {
  const procsFiles = dirs.map((dir) => join(dir, 'cgroup.procs'));
  const state = join(freezer, 'freezer.state');
  await waitUntil(() => {
    const pids = pidsIn(procsFiles);
    killPids(pids);
    if (existsSync(state)) writeControl(state, 'THAWED');
    return pids.length === 0;
  }, 2000);
  await removeDirs(dirs);
}
