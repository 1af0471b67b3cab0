import { execFile } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { readDataFile } from './data-files.js';
import { spawnSandboxed } from './launcher.js';
import type { SandboxOptions } from './options.js';
import { killProcessesOfUid } from './proc-scan.js';
import { claimHome, releaseHome } from './session-home.js';

const run = promisify(execFile);
const PYTHON_FILES = ['worker.py', 'kernel.py', 'seccomp_filter.py', 'zygote.py', 'confine.py'];
const FONT_CACHE_SCRIPT = "import matplotlib; matplotlib.use('Agg'); import matplotlib.font_manager";

/**
 * Builds (once per worker version) the read-only directory every sandbox sees at /opt/assistd: the worker
 * code, the seccomp program and matplotlib's font list. It is built under a temporary name and renamed into
 * place, so servers sharing a root directory never see a half-built one.
 */
export async function prepareRuntime(options: SandboxOptions): Promise<string> {
  await mkdir(options.rootDir, { recursive: true, mode: 0o711 });
  await chmod(options.rootDir, 0o711); // session uids must be able to traverse it for bwrap's binds
  const sources = await Promise.all(PYTHON_FILES.map((name) => readFile(fileURLToPath(new URL(`./python/${name}`, import.meta.url)))));
  const hash = createHash('sha256').update(options.pythonPath);
  for (const source of sources) hash.update(source);
  const runtimeDir = join(options.rootDir, `runtime-${hash.digest('hex').slice(0, 12)}`);
  if (existsSync(join(runtimeDir, 'complete'))) return runtimeDir;

  const build = join(options.rootDir, `.build-${randomUUID()}`);
  await mkdir(build, { mode: 0o755 });
  try {
    for (const [i, name] of PYTHON_FILES.entries()) await writeFile(join(build, name), sources[i], { mode: 0o644 });
    await writeFile(join(build, 'seccomp.bpf'), await compileSeccomp(options, join(build, 'seccomp_filter.py')), { mode: 0o644 });
    await writeFile(join(build, 'hosts'), '127.0.0.1\tlocalhost sandbox\n::1\tlocalhost sandbox\n', { mode: 0o644 });
    await writeFile(join(build, 'nsswitch.conf'), 'passwd: files\ngroup: files\nhosts: files\n', { mode: 0o644 });
    await buildFontCache(options, build);
    await writeFile(join(build, 'complete'), new Date().toISOString());
    await rename(build, runtimeDir).catch(async (err: NodeJS.ErrnoException) => {
      if (!existsSync(join(runtimeDir, 'complete'))) throw err; // anything but "another server won the race"
    });
  } finally {
    await rm(build, { recursive: true, force: true });
  }
  return runtimeDir;
}

async function compileSeccomp(options: SandboxOptions, script: string): Promise<Buffer> {
  try {
    const { stdout } = await run(options.pythonPath, ['-B', '-s', script], { encoding: 'buffer', env: {} });
    if (stdout.length === 0 || stdout.length % 8 !== 0) throw new Error('the seccomp compiler wrote no BPF program');
    return stdout;
  } catch (err) {
    const stderr = (err as { stderr?: Buffer }).stderr?.toString().trim();
    throw new Error(stderr || `could not build the seccomp filter: ${(err as Error).message}`);
  }
}

/**
 * Runs matplotlib's font scan once, inside a sandbox so the font paths it records are the ones sessions see,
 * and keeps the resulting font list for every kernel to copy into its private config dir at start.
 */
async function buildFontCache(options: SandboxOptions, runtimeDir: string): Promise<void> {
  await mkdir(join(runtimeDir, 'mpl'), { mode: 0o755 });
  const home = await claimHome(options);
  try {
    const child = spawnSandboxed({
      home,
      runtimeDir,
      options,
      pythonArgs: ['-B', '-s', '-c', FONT_CACHE_SCRIPT],
      env: { MPLCONFIGDIR: '/mnt/data' },
    });
    child.stdout.resume();
    child.stderr.resume();
    const timer = setTimeout(() => child.kill('SIGKILL'), options.startTimeoutMs);
    await new Promise((resolve) => child.once('close', resolve));
    clearTimeout(timer);
    for (const name of await readdir(home.dataDir)) {
      if (!/^fontlist-v\d+\.json$/.test(name)) continue;
      const bytes = await readDataFile(home, name, 16 * 1024 * 1024);
      if (Buffer.isBuffer(bytes)) await writeFile(join(runtimeDir, 'mpl', name), bytes, { mode: 0o644 });
    }
  } finally {
    await home.group.destroy();
    await killProcessesOfUid(home.uid);
    await releaseHome(options, home.dir);
  }
}
