import { execFile } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { chown, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { SandboxOptions } from './options.js';

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
  /** Device id of the tmpfs: a file read back must live on it, which no link can fake. */
  dev: number;
}

/**
 * Claims a fresh uid and mounts its tmpfs. The uid is claimed by creating rootDir/u<uid>, which is atomic,
 * so two servers sharing a root directory never hand out the same uid.
 */
export async function claimHome(options: SandboxOptions): Promise<SessionHome> {
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
      return await mountHome(options, uid, dir);
    } catch (err) {
      await rm(dir, { recursive: true, force: true });
      throw err;
    }
  }
  throw new Error('no free sandbox uid found');
}

async function mountHome(options: SandboxOptions, uid: number, dir: string): Promise<SessionHome> {
  await writeFile(join(dir, 'owner'), String(process.pid), { mode: 0o600 });
  const fsDir = join(dir, 'fs');
  await mkdir(fsDir, { mode: 0o711 });
  const inodes = Math.max(1024, Math.floor(options.diskBytes / 16384));
  const mountOptions = `size=${options.diskBytes},nr_inodes=${inodes},mode=0711,nosuid,nodev`;
  await run(options.mountPath, ['-t', 'tmpfs', '-o', mountOptions, 'tmpfs', fsDir]);
  const home = { uid, dir, fsDir, dataDir: join(fsDir, 'data'), tmpDir: join(fsDir, 'tmp'), shmDir: join(fsDir, 'shm'), dev: 0 };
  for (const sub of [home.dataDir, home.tmpDir, home.shmDir]) {
    await mkdir(sub, { mode: 0o700 });
    await chown(sub, uid, uid);
  }
  home.dev = (await stat(home.fsDir)).dev;
  // Per-home account files so tools that look up the current user (getpass, pwd) find the session's uid.
  await writeFile(join(dir, 'passwd'), `root:x:0:0:root:/nonexistent:/usr/sbin/nologin\nsandbox:x:${uid}:${uid}:sandbox:/tmp:/bin/sh\n`, { mode: 0o644 });
  await writeFile(join(dir, 'group'), `root:x:0:\nsandbox:x:${uid}:\n`, { mode: 0o644 });
  return home;
}

/** Unmounts and removes a home. Its worker must be dead already, or the lazy unmount waits for it. */
export async function releaseHome(options: SandboxOptions, dir: string): Promise<void> {
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
    if (!/^u\d+$/.test(name)) continue;
    const owner = Number(await readFile(join(dir, 'owner'), 'utf8').catch(() => '0'));
    if (owner > 0 && alive(owner)) continue;
    // A home without an owner file may be mid-creation by a live server; leave it unless it is old.
    const age = Date.now() - ((await stat(dir).catch(() => undefined))?.mtimeMs ?? 0);
    if (owner === 0 && age < 60_000) continue;
    await releaseHome(options, dir);
  }
}
