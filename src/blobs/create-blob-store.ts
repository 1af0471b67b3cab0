import { join } from 'node:path';
import type { Config } from '../config.js';
import type { BlobStore } from './blob-store.js';
import { createLocalBlobStore } from './local-blob-store.js';
import { createS3BlobStore } from './s3-blob-store.js';

/** The configured blob store: an S3-compatible bucket when ASSISTD_BLOB_URL is set, else `<data dir>/files`. */
export function createBlobStore(config: Pick<Config, 'dataDir' | 'objectStorage'>): BlobStore {
  const s3 = config.objectStorage;
  if (!s3) return createLocalBlobStore(join(config.dataDir, 'files'));
  const { cacheBytes, ...settings } = s3;
  return createS3BlobStore({ s3: settings, cacheDir: join(config.dataDir, 'blob-cache'), cacheBytes });
}
