import { createWriteStream, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** Entries used this recently are never evicted: a tool may be copying one into a sandbox right now. */
const IN_USE_MS = 60_000;

/**
 * Local copies of remote blobs for tools that need a real file (the sandbox's /mnt/data, the parsers), bounded
 * in bytes: the least recently used copies beyond `maxBytes` are removed. Blobs are immutable, so a copy never
 * goes stale; one fetch serves concurrent callers of the same key.
 */
export function createBlobCache(dir: string, maxBytes: number, fetchBlob: (key: string) => Promise<Readable>, clock: () => number = Date.now) {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const entries = new Map<string, { bytes: number; usedAt: number }>();
  const pending = new Map<string, Promise<string>>();
  let total = 0;
  let temps = 0;
  // Copies an earlier process left are kept (blobs never change); its half-written ones are not.
  for (const name of readdirSync(dir)) {
    const info = statSync(join(dir, name));
    if (name.startsWith('.')) {
      if (Date.now() - info.mtimeMs > IN_USE_MS) rmSync(join(dir, name), { force: true });
    }
    else if (info.isFile()) {
      entries.set(name, { bytes: info.size, usedAt: info.mtimeMs });
      total += info.size;
    }
  }

  async function fill(key: string): Promise<string> {
    const path = join(dir, key);
    const temp = join(dir, `.${key}.${process.pid}.${++temps}.part`);
    try {
      await pipeline(await fetchBlob(key), createWriteStream(temp, { mode: 0o600 }));
      await rename(temp, path);
    } catch (err) {
      await rm(temp, { force: true });
      throw err;
    }
    const { size } = await stat(path);
    entries.set(key, { bytes: size, usedAt: clock() });
    total += size;
    await evict(key);
    return path;
  }

  /** Oldest first, past the bound; the entry just fetched and entries in use stay. */
  async function evict(keep: string): Promise<void> {
    if (total <= maxBytes) return;
    const now = clock();
    const byAge = [...entries].sort(([, a], [, b]) => a.usedAt - b.usedAt);
    for (const [key, entry] of byAge) {
      if (total <= maxBytes) break;
      if (key === keep || now - entry.usedAt < IN_USE_MS) continue;
      entries.delete(key);
      total -= entry.bytes;
      await rm(join(dir, key), { force: true });
    }
  }

  return {
    /** A local path with the blob's bytes, fetched on first use. */
    async path(key: string): Promise<string> {
      const entry = entries.get(key);
      // Another process sharing the data directory (an `assistd worker` beside `serve`) may have evicted it.
      if (entry && (await stat(join(dir, key)).then(() => true, () => false))) {
        entry.usedAt = clock();
        return join(dir, key);
      }
      if (entry) {
        entries.delete(key);
        total -= entry.bytes;
      }
      let filling = pending.get(key);
      if (!filling) {
        filling = fill(key).finally(() => pending.delete(key));
        pending.set(key, filling);
      }
      return filling;
    },
    async drop(key: string): Promise<void> {
      const entry = entries.get(key);
      if (!entry) return;
      entries.delete(key);
      total -= entry.bytes;
      await rm(join(dir, key), { force: true });
    },
    /** Bytes held now. */
    bytes: () => total,
  };
}

export type BlobCache = ReturnType<typeof createBlobCache>;
