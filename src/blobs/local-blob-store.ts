import { createReadStream, createWriteStream, mkdirSync } from 'node:fs';
import { readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BlobTooLargeError, type BlobStore } from './blob-store.js';

const KEY = /^[A-Za-z0-9_.-]+$/;
const PART = '.part';
/** Keys asked about per `known` call during a sweep. */
const SWEEP_BATCH = 500;

/**
 * Blobs as files in one directory; writes go to a temp name and are renamed, so a reader never sees half a file.
 * The directory is 0700 and the files 0600: they are the tenants' uploads.
 */
export function createLocalBlobStore(dir: string): BlobStore {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const pathOf = (key: string) => {
    if (!KEY.test(key)) throw new Error(`invalid blob key ${key}`);
    return join(dir, key);
  };

  return {
    async write(key, source, maxBytes) {
      const final = pathOf(key);
      const temp = `${final}.part`;
      let bytes = 0;
      const counter = new Transform({
        transform(chunk: Buffer, _enc, done) {
          bytes += chunk.length;
          done(bytes > maxBytes ? new BlobTooLargeError(maxBytes) : null, chunk);
        },
      });
      try {
        await pipeline(source, counter, createWriteStream(temp, { mode: 0o600 }));
        await rename(temp, final);
        return { bytes };
      } catch (err) {
        await rm(temp, { force: true });
        throw err;
      }
    },
    read(key): Readable {
      return createReadStream(pathOf(key));
    },
    async localPath(key) {
      return pathOf(key);
    },
    async delete(key) {
      await rm(pathOf(key), { force: true });
    },
    async sweep(known, graceMs) {
      const cutoff = Date.now() - graceMs;
      let removed = 0;
      let batch: string[] = [];
      const removeUnknown = async () => {
        const keep = await known(batch);
        for (const key of batch) if (!keep.has(key) && (await removeIfOld(join(dir, key), cutoff))) removed++;
        batch = [];
      };
      for (const name of await readdir(dir)) {
        if (!(await isOld(join(dir, name), cutoff))) continue;
        // A `.part` is a write that never finished: a live one is touched with every chunk it receives.
        if (name.endsWith(PART)) {
          if (await removeIfOld(join(dir, name), cutoff)) removed++;
        } else if (KEY.test(name)) {
          batch.push(name);
          if (batch.length >= SWEEP_BATCH) await removeUnknown();
        }
      }
      if (batch.length > 0) await removeUnknown();
      return { removed };
    },
  };
}

async function isOld(path: string, cutoff: number): Promise<boolean> {
  const info = await stat(path).catch(() => undefined);
  return info !== undefined && info.isFile() && info.mtimeMs <= cutoff;
}

/** Removes `path` if it is still an old file (checked again: it may have been rewritten meanwhile). */
async function removeIfOld(path: string, cutoff: number): Promise<boolean> {
  if (!(await isOld(path, cutoff))) return false;
  await rm(path, { force: true });
  return true;
}
