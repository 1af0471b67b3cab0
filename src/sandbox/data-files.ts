import { constants } from 'node:fs';
import { type FileHandle, lstat, open, readdir, readlink, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { SessionHome } from './session-home.js';

/** relative path → identity of its content (inode, size, mtime, ctime). */
export type DataSnapshot = Map<string, string>;

const MAX_DEPTH = 8;
const MAX_ENTRIES = 5000;

/** A name the caller may place in /mnt/data: a single path component, nothing that could climb out. */
export function validFileName(name: string): boolean {
  return name.length > 0 && name.length <= 255 && name !== '.' && name !== '..' && !/[/\0]/.test(name);
}

/**
 * Copies a host file to /mnt/data/<name>. Whatever the sandbox left under that name (a symlink to a host
 * file, say) is unlinked first and the target is created with O_EXCL|O_NOFOLLOW, so root never writes through
 * a link planted by the user's code.
 */
export async function placeInputFile(home: SessionHome, name: string, source: string): Promise<void> {
  if (!validFileName(name)) throw new RangeError(`invalid sandbox file name: ${JSON.stringify(name)}`);
  const target = join(home.dataDir, name);
  const existing = await lstat(target).catch(() => undefined);
  if (existing?.isDirectory()) throw new Error(`/mnt/data/${name} is a directory`);
  if (existing) await unlink(target);
  const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
  const input = await open(source, 'r');
  try {
    const output = await open(target, flags, 0o644);
    try {
      await output.chown(home.uid, home.uid);
      const chunk = Buffer.alloc(1024 * 1024);
      for (;;) {
        const { bytesRead } = await input.read(chunk, 0, chunk.length, null);
        if (bytesRead === 0) break;
        await output.write(chunk, 0, bytesRead);
      }
    } finally {
      await output.close();
    }
  } finally {
    await input.close();
  }
}

/** Regular files under /mnt/data, found with lstat only: symlinks are never followed, just skipped. */
export async function snapshotData(home: SessionHome): Promise<DataSnapshot> {
  const snapshot: DataSnapshot = new Map();
  const walk = async (rel: string, depth: number): Promise<void> => {
    const names = await readdir(join(home.dataDir, rel)).catch(() => [] as string[]);
    for (const name of names.sort()) {
      if (snapshot.size >= MAX_ENTRIES) return;
      const path = rel ? `${rel}/${name}` : name;
      const st = await lstat(join(home.dataDir, path), { bigint: true }).catch(() => undefined);
      if (!st) continue;
      if (st.isDirectory() && depth < MAX_DEPTH) await walk(path, depth + 1);
      else if (st.isFile()) snapshot.set(path, `${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`);
    }
  };
  await walk('', 0);
  return snapshot;
}

/** Paths that are new or changed between two snapshots. */
export function changedPaths(before: DataSnapshot, after: DataSnapshot): string[] {
  return [...after].filter(([path, id]) => before.get(path) !== id).map(([path]) => path);
}

/**
 * Opens /mnt/data/<rel> without trusting anything the sandbox controls: O_NOFOLLOW refuses a final symlink,
 * O_NONBLOCK keeps a FIFO from hanging us, and the opened file must be a regular file on the session's own
 * tmpfs, reached through a path that really is under the data dir (a parent swapped for a symlink fails that).
 * Returns null when the file is not acceptable; the caller closes the handle.
 */
export async function openDataFile(home: SessionHome, rel: string): Promise<{ handle: FileHandle; size: number } | null> {
  const flags = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK | constants.O_NOCTTY;
  const handle = await open(join(home.dataDir, rel), flags).catch(() => undefined);
  if (!handle) return null;
  try {
    const st = await handle.stat();
    const real = st.isFile() && st.dev === home.dev ? await readlink(`/proc/self/fd/${handle.fd}`) : '';
    if (real.startsWith(`${home.dataDir}/`)) return { handle, size: st.size };
  } catch {
    // treated as not acceptable below
  }
  await handle.close();
  return null;
}

/** Reads a whole file opened as `openDataFile` does; 'too-large' when it exceeds maxBytes. */
export async function readDataFile(home: SessionHome, rel: string, maxBytes: number): Promise<Buffer | 'too-large' | null> {
  const opened = await openDataFile(home, rel);
  if (!opened) return null;
  const { handle, size } = opened;
  try {
    if (size > maxBytes) return 'too-large';
    const buffer = Buffer.alloc(size + 1);
    let length = 0;
    while (length < buffer.length) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    // The file may have grown since fstat; what we read is still capped.
    return length > maxBytes ? 'too-large' : buffer.subarray(0, length);
  } finally {
    await handle.close();
  }
}
