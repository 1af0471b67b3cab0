import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';

/** An `assistd serve` child process with its own data directory. */
export interface Replica {
  child: ChildProcess;
  client: OpenAI;
  url: string;
  dir: string;
  /** SIGKILL, then its data directory is removed. */
  kill(): void;
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const port = (probe.address() as { port: number }).port;
      probe.close(() => resolve(port));
    });
  });
}

/**
 * Starts a replica on `databaseUrl` (Postgres; SQLite in its data directory when undefined) and waits until it
 * answers /healthz. `dataDir` restarts on an existing directory. No SDK retries.
 */
export async function startReplica(databaseUrl: string | undefined, env: Record<string, string> = {}, dataDir?: string): Promise<Replica> {
  const port = await freePort();
  const dir = dataDir ?? mkdtempSync(join(tmpdir(), 'assistd-replica-'));
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'serve'], {
    env: { ...process.env, ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}), PORT: String(port), HOST: '127.0.0.1', ASSISTD_DATA_DIR: dir, LOG_LEVEL: 'warn', ASSISTD_CODE_POOL_SIZE: '0', ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  // Generous: a loaded machine can take many seconds to compile and start one.
  for (let i = 0; !(await fetch(`${url}/healthz`).then((r) => r.ok, () => false)); i++) {
    if (i > 600 || child.exitCode !== null) {
      child.kill('SIGKILL');
      throw new Error(`the replica on port ${port} did not start (exit code ${child.exitCode})`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    child,
    url,
    dir,
    client: new OpenAI({ baseURL: `${url}/v1`, apiKey: 'none', maxRetries: 0 }),
    kill() {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
