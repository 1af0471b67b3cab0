import { execFile } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { chown, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { detectCgroups, type SessionGroup } from './cgroup.js';
import type { SandboxOptions } from './options.js';
import { createUidGroup } from './uid-group.js';

const run = promisify(execFile);

/** A session's uid and its size-capped tmpfs; it outlives worker restarts so /mnt/data survives them. */
export interface SessionHome {
  uid: number;
  /** rootDir/u<uid>: root-owned, holds the owner pid file and the tmpfs mount point. */
  dir: string;
  /** Mount point of the tmpfs; /mnt/data, /tmp and /dev/shm are its subdirectories. */
  fsDir: string;
  dataDir: string;
  tmpDir: string;
  shmDir: string;
  /**
   * Root-owned files the sandbox sees read-only: its /etc/passwd and /etc/group, synthesised /proc files and a
   * copy of the runtime. Kept on the tmpfs so no mount inside the sandbox names a host path.
   */
  sysDir: string;
  /** The session's processes as a whole: its cgroup (memory, CPU, pids, freezer), or its uid without one. */
  group: SessionGroup;
  /** Device id of the tmpfs: a file read back must live on it, which no link can fake. */
  dev: number;
}

/** Mounts a tmpfs (nosuid, nodev) with the given options (size, nr_inodes, mode) at `target`. */
export type TmpfsMounter = (target: string, options: string) => Promise<void>;

const execMount = (options: SandboxOptions): TmpfsMounter => async (target, tmpfsOptions) => {
  await run(options.mountPath, ['-t', 'tmpfs', '-o', `${tmpfsOptions},nosuid,nodev`, 'tmpfs', target]);
};

/**
 * Claims a fresh uid and mounts its tmpfs (with `mount`, by default). The uid is claimed by creating rootDir/u<uid>, which is atomic,
 * so two servers sharing a root directory never hand out the same uid.
 */
export async function claimHome(options: SandboxOptions, mountTmpfs = execMount(options)): Promise<SessionHome> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const uid = options.uidBase + randomInt(options.uidCount);
    const dir = join(options.rootDir, `u${uid}`);
    try {
      await mkdir(dir, { mode: 0o711 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') continue;
      throw err;
    }
    try {
      return await mountHome(options, uid, dir, mountTmpfs);
    } catch (err) {
      await rm(dir, { recursive: true, force: true });
      throw err;
    }
  }
  throw new Error('no free sandbox uid found');
}

async function mountHome(options: SandboxOptions, uid: number, dir: string, mountTmpfs: TmpfsMounter): Promise<SessionHome> {
  await writeFile(join(dir, 'owner'), String(process.pid), { mode: 0o600 });
  // Made before the mount, so a host that refuses it leaves nothing mounted; a sweep removes it by name.
  const group = sessionGroup(options, uid);
  const fsDir = join(dir, 'fs');
  await mkdir(fsDir, { mode: 0o711 });
  const inodes = Math.max(1024, Math.floor(options.diskBytes / 16384));
  await mountTmpfs(fsDir, `size=${options.diskBytes},nr_inodes=${inodes},mode=0711`);
  const sysDir = join(fsDir, 'sys');
  const home = { uid, dir, fsDir, dataDir: join(fsDir, 'data'), tmpDir: join(fsDir, 'tmp'), shmDir: join(fsDir, 'shm'), sysDir, group, dev: 0 };
  for (const sub of [home.dataDir, home.tmpDir, home.shmDir]) {
    await mkdir(sub, { mode: 0o700 });
    await chown(sub, uid, uid);
  }
  home.dev = (await stat(home.fsDir)).dev;
  await mkdir(sysDir, { mode: 0o755 });
  // Per-home account files so tools that look up the current user (getpass, pwd) find the session's uid.
  await writeFile(join(sysDir, 'passwd'), `root:x:0:0:root:/nonexistent:/usr/sbin/nologin\nsandbox:x:${uid}:${uid}:sandbox:/tmp:/bin/sh\n`, { mode: 0o644 });
  await writeFile(join(sysDir, 'group'), `root:x:0:\nsandbox:x:${uid}:\n`, { mode: 0o644 });
  for (const [name, text] of Object.entries(procFiles(options))) await writeFile(join(sysDir, name), text, { mode: 0o444 });
  return home;
}

/** The session's own cgroup when the host allows one, else its processes found by uid. */
function sessionGroup(options: SandboxOptions, uid: number): SessionGroup {
  const cgroups = options.cgroups ? detectCgroups() : undefined;
  if (!cgroups || !('host' in cgroups)) return createUidGroup(uid);
  return cgroups.host.create(`u${uid}`, { memoryBytes: options.memoryBytes, cpus: options.cpus, maxProcesses: options.maxProcesses });
}

/**
 * What the session reads in place of the host's /proc/meminfo, cpuinfo and loadavg: its own limits, so a
 * library sizing itself to "the machine" sizes itself to the session, and nothing about the host shows.
 */
function procFiles(options: SandboxOptions): Record<string, string> {
  const kib = Math.floor(options.memoryBytes / 1024);
  const meminfo = [`MemTotal: ${kib} kB`, `MemFree: ${kib} kB`, `MemAvailable: ${kib} kB`, 'Buffers: 0 kB', 'Cached: 0 kB', 'SwapTotal: 0 kB', 'SwapFree: 0 kB', '']
    .map((line) => line.replace(/^(\w+:)\s*/, (_, key: string) => key.padEnd(16)))
    .join('\n');
  const cores = Math.max(1, Math.ceil(options.cpus));
  const cpuinfo = Array.from({ length: cores }, (_, i) => `processor\t: ${i}\nmodel name\t: sandbox CPU\n\n`).join('');
  return { meminfo, cpuinfo, loadavg: '0.00 0.00 0.00 1/1 1\n' };
}

/** Each runtime directory's files (all small), read once: copying them with `cp` cost ~100 ms per session. */
const runtimeFiles = new Map<string, Promise<Array<{ name: string; bytes: Buffer }>>>();

async function readRuntime(runtimeDir: string, sub = ''): Promise<Array<{ name: string; bytes: Buffer }>> {
  const files: Array<{ name: string; bytes: Buffer }> = [];
  for (const entry of await readdir(join(runtimeDir, sub), { withFileTypes: true })) {
    const name = join(sub, entry.name);
    if (entry.isDirectory()) files.push(...(await readRuntime(runtimeDir, name)));
    else if (entry.name !== 'seccomp_filter.py' && entry.name !== 'complete') files.push({ name, bytes: await readFile(join(runtimeDir, name)) });
  }
  return files;
}

/** Copies the runtime (worker code, font list, hosts) onto the home's tmpfs, once: see `sysDir`. */
export async function installRuntime(home: SessionHome, runtimeDir: string): Promise<string> {
  const target = join(home.sysDir, 'opt');
  if (await stat(join(target, 'complete')).catch(() => undefined)) return target;
  let files = runtimeFiles.get(runtimeDir);
  if (!files) {
    files = readRuntime(runtimeDir);
    runtimeFiles.set(runtimeDir, files);
    files.catch(() => runtimeFiles.delete(runtimeDir));
  }
  const all = await files;
  for (const dir of new Set(['', ...all.map((f) => dirname(f.name))])) await mkdir(join(target, dir), { recursive: true, mode: 0o755 });
  await Promise.all(all.map((f) => writeFile(join(target, f.name), f.bytes, { mode: 0o644 })));
  await writeFile(join(target, 'complete'), '', { mode: 0o644 });
  return target;
}

/** Unmounts and removes a home. Its worker must be dead already, or the lazy unmount waits for it. */
export async function releaseHome(options: SandboxOptions, dir: string): Promise<void> {
  const cgroups = options.cgroups ? detectCgroups() : undefined;
  if (cgroups && 'host' in cgroups) await cgroups.host.remove(basename(dir));
  const fsDir = join(dir, 'fs');
  await run(options.umountPath, ['--lazy', fsDir]).catch(() => undefined);
  await rm(dir, { recursive: true, force: true }).catch(() => undefined);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Releases homes (and half-built runtimes) left behind by servers that died without closing their sandbox. */
export async function sweepStaleHomes(options: SandboxOptions): Promise<void> {
  const entries = await readdir(options.rootDir).catch(() => [] as string[]);
  for (const name of entries) {
    const dir = join(options.rootDir, name);
    if (name.startsWith('.build-')) {
      const age = Date.now() - ((await stat(dir).catch(() => undefined))?.mtimeMs ?? 0);
      if (age > 600_000) await rm(dir, { recursive: true, force: true }).catch(() => undefined);
      continue;
    }
    const zygote = /^zygote-(\d+)-/.exec(name);
    if (zygote && !alive(Number(zygote[1]))) await rm(dir, { recursive: true, force: true }).catch(() => undefined);
    if (!/^u\d+$/.test(name)) continue;
    const owner = Number(await readFile(join(dir, 'owner'), 'utf8').catch(() => '0'));
    if (owner > 0 && alive(owner)) continue;
    // A home without an owner file may be mid-creation by a live server; leave it unless it is old.
    const age = Date.now() - ((await stat(dir).catch(() => undefined))?.mtimeMs ?? 0);
    if (owner === 0 && age < 60_000) continue;
    await releaseHome(options, dir);
  }
}
