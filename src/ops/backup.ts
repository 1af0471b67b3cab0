/**
 * `assistd backup DEST` and `assistd restore SRC`: a consistent copy of a SQLite deployment while it runs, and
 * putting one back into an empty data directory. Postgres deployments use pg_dump (docs/deploy.md).
 */
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { ConfigError, type Config } from '../config.js';
import { createPrivateFile, DATA_DIR_MODE, DATA_FILE_MODE, prepareDataDir } from './data-dir.js';
import { assistdVersion } from './version.js';

const DATABASE = 'assistd.sqlite';
const FILES = 'files';
const MANIFEST = 'assistd-backup.json';

export interface BackupSummary {
  databaseBytes: number;
  files: number;
}

function sqlitePath(config: Config): string {
  if (config.databaseUrl && /^postgres(ql)?:\/\//.test(config.databaseUrl)) {
    throw new ConfigError('assistd backup and restore copy a SQLite deployment; for Postgres use pg_dump and copy the files directory (see docs/deploy.md)');
  }
  return config.databaseUrl?.startsWith('sqlite:') ? config.databaseUrl.slice('sqlite:'.length) : join(config.dataDir, DATABASE);
}

/** Copies the blobs in `from` to `to` (0600); temp files of uploads in flight are left out. */
function copyBlobs(from: string, to: string): number {
  mkdirSync(to, { recursive: true, mode: DATA_DIR_MODE });
  if (!existsSync(from)) return 0;
  let copied = 0;
  for (const name of readdirSync(from)) {
    if (name.endsWith('.part')) continue;
    try {
      copyFileSync(join(from, name), join(to, name));
    } catch (err) {
      // Deleted since it was listed: its file object was deleted too.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw err;
    }
    // copyFile gives the copy the source's mode; the copy is private whatever the source was.
    chmodSync(join(to, name), DATA_FILE_MODE);
    copied++;
  }
  return copied;
}

/**
 * The database goes first, through SQLite's online backup API in one step (one read transaction: a snapshot
 * that writers of the running server do not disturb), then the blobs: every file the snapshot lists was
 * written before its row, so its bytes are there.
 */
export async function backupSqlite(config: Config, dest: string): Promise<BackupSummary> {
  if (config.objectStorage) throw new ConfigError('the file bytes are in object storage (ASSISTD_BLOB_URL), which assistd backup does not copy: back up the bucket with its own tools (versioning, replication) beside the database');
  const source = sqlitePath(config);
  if (!existsSync(source)) throw new ConfigError(`no database at ${source}: check --data-dir or ASSISTD_DATA_DIR`);
  if (existsSync(dest) && readdirSync(dest).length > 0) throw new ConfigError(`backup destination ${dest} is not empty: choose a new directory`);
  mkdirSync(dest, { recursive: true, mode: DATA_DIR_MODE });
  const target = join(dest, DATABASE);
  createPrivateFile(target);
  const db = new Database(source, { fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    await db.backup(target, { progress: () => 0x7fffffff });
  } finally {
    db.close();
  }
  const copy = new Database(target);
  try {
    const check = copy.pragma('quick_check', { simple: true });
    if (check !== 'ok') throw new Error(`the copied database failed its check: ${String(check)}`);
    const databaseBytes = (copy.pragma('page_count', { simple: true }) as number) * (copy.pragma('page_size', { simple: true }) as number);
    const files = copyBlobs(join(config.dataDir, FILES), join(dest, FILES));
    writeFileSync(join(dest, MANIFEST), `${JSON.stringify({ version: assistdVersion(), created_at: Math.floor(Date.now() / 1000), database: DATABASE, files }, null, 2)}\n`, { mode: DATA_FILE_MODE });
    return { databaseBytes, files };
  } finally {
    copy.close();
  }
}

/** Puts a backup into a data directory that has no database yet (0700, files 0600). */
export function restoreSqlite(config: Config, src: string): BackupSummary {
  if (!existsSync(join(src, MANIFEST)) || !existsSync(join(src, DATABASE))) throw new ConfigError(`${src} is not an assistd backup (no ${MANIFEST} and ${DATABASE})`);
  JSON.parse(readFileSync(join(src, MANIFEST), 'utf8'));
  const target = sqlitePath(config);
  if (existsSync(target)) throw new ConfigError(`${target} already exists: restore into a new data directory (--data-dir), or move the old one away first`);
  prepareDataDir(config.dataDir);
  copyFileSync(join(src, DATABASE), target);
  chmodSync(target, DATA_FILE_MODE);
  const files = copyBlobs(join(src, FILES), join(config.dataDir, FILES));
  const db = new Database(target);
  try {
    return { databaseBytes: (db.pragma('page_count', { simple: true }) as number) * (db.pragma('page_size', { simple: true }) as number), files };
  } finally {
    db.close();
  }
}
