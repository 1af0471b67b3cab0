import { createReadStream, createWriteStream, mkdirSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BlobTooLargeError, type BlobStore } from './blob-store.js';

/**
 * Blobs as files in one directory; writes go to a temp name and are renamed, so a reader never sees half a file.
 * The directory is 0700 and the files 0600: they are the tenants' uploads.
 */
export function createLocalBlobStore(dir: string): BlobStore {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const pathOf = (key: string) => {
    if (!/^[A-Za-z0-9_.-]+$/.test(key)) throw new Error(`invalid blob key ${key}`);
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
  };
}
