import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { closeSync, existsSync, lstatSync, openSync, readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { SandboxOptions } from './options.js';
import type { SessionHome } from './session-home.js';

/** What to start inside a session's sandbox. */
export interface LaunchSpec {
  home: SessionHome;
  /** Host directory mounted read-only at /opt/assistd (worker code, seccomp program, font cache). */
  runtimeDir: string;
  options: SandboxOptions;
  /** Arguments for python3 inside the sandbox. */
  pythonArgs: string[];
  /** Extra environment on top of the fixed sandbox environment. */
  env?: Record<string, string>;
}

/** The sandbox's whole environment: nothing from the server's environment is passed on. */
export const SANDBOX_ENV: Readonly<Record<string, string>> = {
  PATH: '/usr/local/bin:/usr/bin:/bin',
  HOME: '/tmp',
  USER: 'sandbox',
  LOGNAME: 'sandbox',
  LANG: 'C.UTF-8',
  LC_ALL: 'C.UTF-8',
  TMPDIR: '/tmp',
  TZ: 'UTC',
  MPLBACKEND: 'Agg',
  MPLCONFIGDIR: '/tmp/.config/matplotlib',
  XDG_CACHE_HOME: '/tmp/.cache',
  XDG_CONFIG_HOME: '/tmp/.config',
  // One BLAS/OpenMP thread: threads count against the process limit, and a session should not hog the host.
  OPENBLAS_NUM_THREADS: '1',
  OMP_NUM_THREADS: '1',
  MKL_NUM_THREADS: '1',
  NUMEXPR_MAX_THREADS: '1',
};

/** Bits of /etc that Python and its libraries read; the rest of /etc (shadow, ssh keys…) stays out. */
const ETC_ENTRIES = [
  'ld.so.cache', 'ld.so.conf', 'ld.so.conf.d', 'alternatives', 'fonts', 'matplotlibrc', 'localtime',
  'timezone', 'mime.types', 'protocols', 'services', 'os-release', 'debian_version',
];

/** One mount of a sandbox's file system, in the order they are made; both launch paths build from this list. */
export type MountEntry =
  | { kind: 'bind'; source: string; target: string; readonly?: boolean; optional?: boolean }
  | { kind: 'symlink'; source: string; target: string }
  | { kind: 'proc' | 'dev' | 'readonly'; target: string };

let systemMounts: MountEntry[] | undefined;

/** Read-only binds of the system directories, mirroring merged-/usr symlinks as symlinks. */
function systemMountEntries(): MountEntry[] {
  if (systemMounts) return systemMounts;
  const entries: MountEntry[] = [{ kind: 'bind', source: '/usr', target: '/usr', readonly: true }];
  for (const name of ['bin', 'sbin', 'lib', 'lib32', 'lib64', 'libx32']) {
    const path = `/${name}`;
    if (!existsSync(path)) continue;
    if (lstatSync(path).isSymbolicLink()) entries.push({ kind: 'symlink', source: readlinkSync(path), target: path });
    else entries.push({ kind: 'bind', source: path, target: path, readonly: true });
  }
  const python = readdirSync('/etc').filter((n) => /^python3(\.\d+)?$/.test(n));
  for (const name of [...ETC_ENTRIES, ...python]) entries.push({ kind: 'bind', source: `/etc/${name}`, target: `/etc/${name}`, readonly: true, optional: true });
  systemMounts = entries;
  return entries;
}

/** The sandbox's whole file system: system directories read-only, the session's tmpfs, a private /proc and /dev. */
export function sandboxMounts(home: SessionHome, runtimeDir: string): MountEntry[] {
  const ro = (source: string, target: string): MountEntry => ({ kind: 'bind', source, target, readonly: true });
  return [
    ...systemMountEntries(),
    ro(join(home.sysDir, 'passwd'), '/etc/passwd'),
    ro(join(home.sysDir, 'group'), '/etc/group'),
    ro(join(runtimeDir, 'hosts'), '/etc/hosts'),
    ro(join(runtimeDir, 'nsswitch.conf'), '/etc/nsswitch.conf'),
    { kind: 'proc', target: '/proc' },
    ...['meminfo', 'cpuinfo', 'loadavg'].map((name) => ro(join(home.sysDir, name), `/proc/${name}`)),
    { kind: 'dev', target: '/dev' },
    { kind: 'bind', source: home.tmpDir, target: '/tmp' },
    { kind: 'bind', source: home.shmDir, target: '/dev/shm' },
    { kind: 'bind', source: home.dataDir, target: '/mnt/data' },
    ro(runtimeDir, '/opt/assistd'),
    // Without these the sandbox could fill the root and /dev tmpfs mounts, outside the session's disk cap.
    { kind: 'readonly', target: '/dev' },
    { kind: 'readonly', target: '/' },
  ];
}

function bwrapMountArgs(entry: MountEntry): string[] {
  switch (entry.kind) {
    case 'bind':
      return [entry.readonly ? (entry.optional ? '--ro-bind-try' : '--ro-bind') : '--bind', entry.source, entry.target];
    case 'symlink':
      return ['--symlink', entry.source, entry.target];
    case 'proc':
      return ['--proc', entry.target];
    case 'dev':
      return ['--dev', entry.target];
    case 'readonly':
      return ['--remount-ro', entry.target];
  }
}

/** bubblewrap's arguments for one sandbox; the seccomp program is expected on fd 3. */
export function bwrapArgs(spec: LaunchSpec): string[] {
  const env = { ...SANDBOX_ENV, ...spec.env };
  return [
    '--unshare-all', '--unshare-user', '--disable-userns', '--die-with-parent', '--new-session',
    '--hostname', 'sandbox', '--clearenv',
    ...Object.entries(env).flatMap(([k, v]) => ['--setenv', k, v]),
    '--seccomp', '3',
    '--chdir', '/mnt/data',
    ...sandboxMounts(spec.home, spec.runtimeDir).flatMap(bwrapMountArgs),
  ];
}

/**
 * Joins the cgroups named before `--`, then execs the rest: the sandbox starts inside its session's group, so
 * no process of it ever runs outside, and its cgroup namespace is rooted there.
 */
const JOIN_GROUP = 'for f; do [ "$f" = -- ] && break; echo $$ > "$f" || exit 125; shift; done; shift; exec "$@"';

/**
 * Starts python3 in a fresh sandbox as the home's uid, in the home's cgroup. setpriv drops root before bwrap
 * runs, so bwrap builds an unprivileged user namespace and the code inside holds no capabilities on the host or in it.
 */
export function spawnSandboxed(spec: LaunchSpec): ChildProcessWithoutNullStreams {
  const { options, home } = spec;
  const uid = String(home.uid);
  const seccompFd = openSync(join(spec.runtimeDir, 'seccomp.bpf'), 'r');
  try {
    const args = [
      ...home.group.procsFiles, '--', options.setprivPath,
      '--reuid', uid, '--regid', uid, '--clear-groups', '--inh-caps=-all', '--bounding-set=-all', '--',
      options.bwrapPath, ...bwrapArgs(spec), '--', options.pythonPath, ...spec.pythonArgs,
    ];
    return spawn('/bin/sh', ['-c', JOIN_GROUP, 'sh', ...args], {
      env: {},
      cwd: '/',
      stdio: ['pipe', 'pipe', 'pipe', seccompFd],
    }) as ChildProcessWithoutNullStreams;
  } finally {
    closeSync(seccompFd);
  }
}
