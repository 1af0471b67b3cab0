import { spawn } from 'node:child_process';

/** Runs the CLI (`src/cli.ts` through tsx) to completion: its exit code and output. No config file, LOG_LEVEL=info. */
export function runCli(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const base: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'info', ASSISTD_CODE_POOL_SIZE: '0' };
  for (const name of ['ASSISTD_CONFIG', 'DATABASE_URL']) delete base[name];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], { env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
