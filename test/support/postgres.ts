import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

// A private Postgres cluster per test process: initdb + pg_ctl on a free port in a temp dir, torn down at exit.
// Postgres refuses to run as root, so as root the cluster runs as the `postgres` system user.

function findBin(name: string): string {
  for (const dir of ['/usr/lib/postgresql']) {
    if (!existsSync(dir)) continue;
    for (const version of readdirSync(dir).sort().reverse()) {
      const path = join(dir, version, 'bin', name);
      if (existsSync(path)) return path;
    }
  }
  return name;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

function systemUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
  return { uid, gid };
}

interface Cluster {
  port: number;
  dir: string;
}

let cluster: Promise<Cluster> | undefined;

async function startCluster(): Promise<Cluster> {
  const dir = mkdtempSync(join(tmpdir(), 'assistd-pg-'));
  const user = systemUser();
  if (user) chownSync(dir, user.uid, user.gid);
  const run = (bin: string, args: string[]) => {
    const result = spawnSync(findBin(bin), args, { uid: user?.uid, gid: user?.gid, encoding: 'utf8', cwd: dir });
    if (result.status !== 0) throw new Error(`${bin} failed: ${result.stderr || result.stdout || result.error}`);
  };
  const port = await freePort();
  run('initdb', ['-D', join(dir, 'data'), '-U', 'postgres', '--auth=trust', '--locale=C', '-E', 'UTF8', '--no-sync']);
  run('pg_ctl', [
    '-D', join(dir, 'data'), '-l', join(dir, 'log'), '-w', '-t', '60',
    '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`,
    'start',
  ]);
  process.on('exit', () => {
    spawnSync(findBin('pg_ctl'), ['-D', join(dir, 'data'), '-m', 'immediate', 'stop'], { uid: user?.uid, gid: user?.gid });
    rmSync(dir, { recursive: true, force: true });
  });
  return { port, dir };
}

let counter = 0;

/** A fresh, empty database in this process's private cluster; returns its postgres:// URL. */
export async function createTestDatabase(): Promise<string> {
  cluster ??= startCluster();
  const { port } = await cluster;
  const name = `assistd_test_${process.pid}_${++counter}`;
  const admin = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres' });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  return `postgres://postgres@127.0.0.1:${port}/${name}`;
}
