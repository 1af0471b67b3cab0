import { closeSync, mkdirSync, openSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../config.js';

/** Owner-only: the database and file blobs are the tenants' data, whoever else can log in to the host. */
export const DATA_DIR_MODE = 0o700;
export const DATA_FILE_MODE = 0o600;

const FIX = 'choose another with ASSISTD_DATA_DIR or --data-dir';

/**
 * Creates the data directory (0700) if needed and checks that it is a directory this process can write, so a
 * bad path fails start-up with one line instead of a SQLite or filesystem error later. The probe writes a file:
 * for root, `access(W_OK)` says yes even on a read-only mount.
 */
export function prepareDataDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true, mode: DATA_DIR_MODE });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' || code === 'ENOTDIR') throw new ConfigError(`data directory ${dir} is not a directory (a file is in the way): ${FIX}`, { cause: err });
    throw new ConfigError(`cannot create data directory ${dir} (${code}): create it with write permission for this user, or ${FIX}`, { cause: err });
  }
  if (!statSync(dir).isDirectory()) throw new ConfigError(`data directory ${dir} is not a directory: ${FIX}`);
  const probe = join(dir, `.assistd-write-test-${process.pid}`);
  try {
    closeSync(openSync(probe, 'wx', DATA_FILE_MODE));
    unlinkSync(probe);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError(`data directory ${dir} is not writable (${code}): give this user write permission, or ${FIX}`, { cause: err });
  }
}

/** Creates an empty SQLite database file as 0600 before SQLite does (it would use 0644); its -wal and -shm files follow its mode. */
export function createPrivateFile(path: string): void {
  closeSync(openSync(path, 'a', DATA_FILE_MODE));
}
