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
const SANDBOX_ENV: Record<string, string> = {
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

let systemMounts: string[] | undefined;

/** Read-only binds of the system directories, mirroring merged-/usr symlinks as symlinks. */
function systemMountArgs(): string[] {
  if (systemMounts) return systemMounts;
  const args = ['--ro-bind', '/usr', '/usr'];
  for (const name of ['bin', 'sbin', 'lib', 'lib32', 'lib64', 'libx32']) {
    const path = `/${name}`;
    if (!existsSync(path)) continue;
    if (lstatSync(path).isSymbolicLink()) args.push('--symlink', readlinkSync(path), path);
    else args.push('--ro-bind', path, path);
  }
  const python = readdirSync('/etc').filter((n) => /^python3(\.\d+)?$/.test(n));
  for (const name of [...ETC_ENTRIES, ...python]) args.push('--ro-bind-try', `/etc/${name}`, `/etc/${name}`);
  systemMounts = args;
  return args;
}

/** bubblewrap's arguments for one sandbox; the seccomp program is expected on fd 3. */
export function bwrapArgs(spec: LaunchSpec): string[] {
  const { home, runtimeDir } = spec;
  const env = { ...SANDBOX_ENV, ...spec.env };
  return [
    '--unshare-all', '--unshare-user', '--disable-userns', '--die-with-parent', '--new-session',
    '--hostname', 'sandbox', '--clearenv',
    ...Object.entries(env).flatMap(([k, v]) => ['--setenv', k, v]),
    ...systemMountArgs(),
    '--ro-bind', join(home.sysDir, 'passwd'), '/etc/passwd',
    '--ro-bind', join(home.sysDir, 'group'), '/etc/group',
    '--ro-bind', join(runtimeDir, 'hosts'), '/etc/hosts',
    '--ro-bind', join(runtimeDir, 'nsswitch.conf'), '/etc/nsswitch.conf',
    '--proc', '/proc',
    ...['meminfo', 'cpuinfo', 'loadavg'].flatMap((name) => ['--ro-bind', join(home.sysDir, name), `/proc/${name}`]),
    '--dev', '/dev',
    '--bind', home.tmpDir, '/tmp',
    '--bind', home.shmDir, '/dev/shm',
    '--bind', home.dataDir, '/mnt/data',
    '--ro-bind', runtimeDir, '/opt/assistd',
    '--seccomp', '3',
    '--chdir', '/mnt/data',
    // Without these the sandbox could fill bwrap's own tmpfs mounts, outside the session's disk cap.
    '--remount-ro', '/dev',
    '--remount-ro', '/',
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
