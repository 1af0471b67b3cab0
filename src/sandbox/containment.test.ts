import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { processesOfUid } from './proc-scan.js';
import { createSandbox, type ExecuteResult, type Sandbox, type SandboxFileOut } from './sandbox.js';

// Set before the sandbox exists, as a server's API keys would be.
const FAKE_SECRET = `sk-test-${Math.random().toString(36).slice(2)}`;
process.env.ASSISTD_TEST_API_KEY = FAKE_SECRET;

const rootDir = join(tmpdir(), 'assistd-sandbox-test');
const DISK_BYTES = 64 * 1024 * 1024;

// Both ways a session starts: forked from the zygote (the default) and as its own bubblewrap process (the fallback).
for (const zygote of [true, false]) describe(`sandbox containment (${zygote ? 'forked from the zygote' : 'bubblewrap per session'}): each attack fails and the host stays fine`, () => {
  let sandbox: Sandbox;
  let hostDir: string;
  let secretPath: string;

  const run = (sessionKey: string, code: string, timeoutMs?: number): Promise<ExecuteResult> =>
    sandbox.execute({ sessionKey, code, timeoutMs });

  /** The sandbox still serves a fresh session and the host can still start processes. */
  async function assertHealthy(): Promise<void> {
    const result = await run(`health-${Math.random()}`, '6 * 7');
    assert.equal(result.logs, '42\n');
    assert.equal(execFileSync('/bin/echo', ['ok']).toString(), 'ok\n');
  }

  async function uidOf(sessionKey: string): Promise<number> {
    return Number((await run(sessionKey, 'import os\nos.getuid()')).logs.trim());
  }

  before(async () => {
    hostDir = await mkdtemp(join(tmpdir(), 'assistd-host-'));
    secretPath = join(hostDir, 'server-secret.txt');
    await writeFile(secretPath, `TOP-SECRET ${FAKE_SECRET}\n`);
    sandbox = createSandbox({
      rootDir,
      poolSize: 2,
      callTimeoutMs: 5_000,
      interruptGraceMs: 300,
      memoryBytes: 768 * 1024 ** 2,
      diskBytes: DISK_BYTES,
      maxProcesses: 48,
      zygote,
    });
    assert.equal((await sandbox.warmUp()).available, true);
  });

  after(async () => {
    await sandbox.close();
    await rm(hostDir, { recursive: true, force: true });
  });

  it(`starts sessions ${zygote ? 'forked from the zygote: its keeper is the init of the pid namespace' : 'under bubblewrap: bwrap is the init'}`, async () => {
    assert.equal((await run('init', 'open("/proc/1/comm").read().strip()')).logs, zygote ? "'python3'\n" : "'bwrap'\n");
  });

  it('has no network: loopback of the host and DNS both fail', async () => {
    let connections = 0;
    const server: Server = createServer((socket) => {
      connections++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    const code = `
import socket
out = []
for target in [("127.0.0.1", ${port}), ("1.1.1.1", 53)]:
    try:
        socket.create_connection(target, timeout=2)
        out.append("connected")
    except OSError as e:
        out.append(type(e).__name__)
try:
    socket.getaddrinfo("example.com", 443)
    out.append("resolved")
except OSError as e:
    out.append(type(e).__name__)
print(out)`;
    const result = await run('net', code);
    server.close();
    assert.equal(result.error, undefined, result.logs);
    assert.doesNotMatch(result.logs, /connected|resolved/);
    assert.match(result.logs, /ConnectionRefusedError', '(OSError|ConnectionRefusedError)', 'gaierror'/);
    assert.equal(connections, 0);
  });

  it('cannot read /etc/shadow, a host secret file or the sandbox root', async () => {
    const code = `
import os
for path in ["/etc/shadow", ${JSON.stringify(secretPath)}, "/proc/1/root${secretPath}", ${JSON.stringify(rootDir)}]:
    try:
        print(path, "READ", open(path).read() if os.path.isfile(path) else os.listdir(path))
    except OSError as e:
        print(path, type(e).__name__)`;
    const result = await run('files', code);
    assert.doesNotMatch(result.logs, /READ|TOP-SECRET|root:/);
    assert.equal(result.logs.trim().split('\n').length, 4);
  });

  it('sees none of the server environment', async () => {
    const code = `
import os
print(sorted(os.environ))
for pid in [p for p in os.listdir("/proc") if p.isdigit()]:
    try:
        print(open(f"/proc/{pid}/environ", "rb").read())
    except OSError as e:
        print(pid, type(e).__name__)`;
    const result = await run('env', code);
    assert.ok(result.logs.includes("'PATH'"));
    assert.ok(!result.logs.includes(FAKE_SECRET));
    assert.ok(!result.logs.includes('ASSISTD_TEST_API_KEY'));
  });

  it('runs as an unprivileged uid with no capabilities', async () => {
    const code = `
import os
status = dict(line.split(":", 1) for line in open("/proc/self/status").read().splitlines())
print(os.getuid(), os.geteuid(), os.getgid(), os.getgroups())
print(*(int(status[k], 16) for k in ["CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"]), status["NoNewPrivs"].strip())
for attempt in [lambda: os.setuid(0), lambda: os.chroot("/tmp"), lambda: open("/usr/bin/planted", "w")]:
    try:
        attempt()
        print("ALLOWED")
    except OSError as e:
        print(type(e).__name__)`;
    const result = await run('caps', code);
    const [ids, caps, ...attempts] = result.logs.trim().split('\n');
    const [uid, euid] = ids.split(' ').map(Number);
    assert.ok(uid >= 1_000_000 && euid === uid, ids);
    assert.equal(caps, '0 0 0 0 0 1');
    // setuid(0) fails with EINVAL (uid 0 is not even mapped), chroot with EPERM, writing /usr with EROFS.
    assert.deepEqual(attempts, ['OSError', 'PermissionError', 'OSError']);
  });

  it('refuses namespace, mount and tracing syscalls through seccomp', async () => {
    const code = `
import ctypes, os, platform
libc = ctypes.CDLL(None, use_errno=True)
def call(name, *args):
    rc = getattr(libc, name)(*args)
    return "ok" if rc == 0 else os.strerror(ctypes.get_errno())
print(call("unshare", 0x10000000))
print(call("unshare", 0x00020000))
print(call("mount", b"none", b"/mnt/data", b"tmpfs", 0, None))
print(call("ptrace", 0, 0, None, None))
print(call("syscall", {"x86_64": 321, "aarch64": 280}[platform.machine()], 0, 0, 0))  # bpf
rc = libc.syscall({"x86_64": 56, "aarch64": 220}[platform.machine()], 0x10000000 | 17, 0, 0, 0, 0)  # clone(NEWUSER)
if rc == 0:
    os._exit(0)
print("forked" if rc > 0 else os.strerror(ctypes.get_errno()))
print(open("/proc/self/status").read().split("Seccomp:")[1].split()[0])`;
    const result = await run('seccomp', code);
    assert.equal(result.logs, 'Operation not permitted\n'.repeat(6) + '2\n');
  });

  it('never returns what a symlink in /mnt/data points to, and never writes through one', async () => {
    const victim = join(hostDir, 'victim.txt');
    await writeFile(victim, 'original');
    const code = `
import os
os.symlink("/etc/passwd", "passwd.txt")
os.symlink(${JSON.stringify(secretPath)}, "secret.txt")
os.symlink("/etc", "etc-dir")
os.symlink(${JSON.stringify(victim)}, "upload.csv")
os.mkfifo("pipe")
try:
    os.link("/etc/passwd", "hard.txt")
except OSError as e:
    print(type(e).__name__)`;
    const result = await run('symlink', code);
    assert.deepEqual(result.files, []);
    assert.equal(result.logs, 'OSError\n');
    const upload = join(hostDir, 'upload.csv');
    await writeFile(upload, 'x,y\n');
    const placed = await sandbox.execute({
      sessionKey: 'symlink',
      code: 'print(os.path.islink("upload.csv"), open("upload.csv").read())',
      files: [{ name: 'upload.csv', path: upload }],
    });
    assert.equal(placed.logs, 'False x,y\n\n');
    assert.equal(await readFile(victim, 'utf8'), 'original');
  });

  it("cannot reach the keeper's pipes to the host", async () => {
    const code = `
import os
keeper = os.getppid()
for attempt in [lambda: os.listdir(f"/proc/{keeper}/fd"), lambda: open(f"/proc/{keeper}/fd/1", "wb"), lambda: open(f"/proc/{keeper}/mem", "rb")]:
    try:
        attempt()
        print("ALLOWED")
    except OSError as e:
        print(type(e).__name__)
links = []
for fd in sorted(map(int, os.listdir("/proc/self/fd"))):
    try:
        links.append(os.readlink(f"/proc/self/fd/{fd}"))
    except OSError:
        pass  # the directory listing's own fd, closed by now
print(links[0], links[1] == links[2], len({link for link in links if link.startswith("pipe:")}))`;
    const result = await run('pipes', code);
    const lines = result.logs.trim().split('\n');
    assert.deepEqual(lines.slice(0, 3), ['PermissionError', 'PermissionError', 'PermissionError']);
    // stdin is /dev/null, stdout and stderr share the captured-output pipe, and the only other pipes are the
    // kernel's own two to the keeper: none of the keeper's pipes to the host is open here.
    assert.equal(lines[3], '/dev/null True 3');
  });

  it('shows none of the host: no host path in mountinfo, its own meminfo, cpuinfo and loadavg, its own cgroup root', async () => {
    const code = `
import os
mounts = open("/proc/self/mountinfo").read()
print(${JSON.stringify(rootDir)} in mounts, f"u{os.getuid()}" in mounts, "/tmp/" in mounts)
print(" ".join(open("/proc/meminfo").read().split("\\n")[0].split()))
print(open("/proc/cpuinfo").read().count("processor"), "sandbox CPU" in open("/proc/cpuinfo").read())
print(open("/proc/loadavg").read().strip())
print(sorted({line.split(":")[-1] for line in open("/proc/self/cgroup").read().split()}))
import sys, matplotlib
seen = [open(f"/proc/{p}/{f}", "rb").read().decode(errors="replace") for p in ("self", os.getppid()) for f in ("cmdline", "environ") if os.access(f"/proc/{p}/{f}", os.R_OK)]
seen += [str(sys.path), str([getattr(m, "__file__", "") for m in list(sys.modules.values())]), matplotlib.get_cachedir(), matplotlib.get_configdir()]
print([text for text in seen if ${JSON.stringify(rootDir)} in text])`;
    const result = await run('host-view', code);
    assert.deepEqual(result.logs.trim().split('\n'), [
      'False False False',
      `MemTotal: ${768 * 1024} kB`,
      '1 True',
      '0.00 0.00 0.00 1/1 1',
      "['/']",
      '[]',
    ]);
  });

  it('contains a fork bomb', async () => {
    const uid = await uidOf('fork');
    const code = 'import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass';
    const result = await run('fork', code, 2_000);
    assert.equal(result.error?.name, 'Timeout');
    assert.equal(result.restarted, true);
    assert.deepEqual(processesOfUid(uid), [], 'every forked process is gone');
    assert.equal((await run('fork', '1 + 1')).logs, '2\n');
    await assertHealthy();
  });

  it('contains a memory bomb', async () => {
    const code = `
import numpy as np
hoard = []
try:
    while True:
        hoard.append(np.ones(32 * 1024 * 1024 // 8))
except MemoryError:
    print("MemoryError after", len(hoard) * 32, "MiB")
del hoard
bytearray(8 * 1024 ** 3)`;
    const result = await run('memory', code, 30_000); // touching every page is slow on a loaded machine
    assert.match(result.logs, /^MemoryError after \d+ MiB/);
    const mib = Number(/after (\d+)/.exec(result.logs)?.[1]);
    assert.ok(mib <= 768, `${mib} MiB allocated`);
    assert.equal(result.error?.name, 'MemoryError');
    assert.equal((await run('memory', '"still alive"')).logs, "'still alive'\n");
    await assertHealthy();
  });

  it('caps disk use across /mnt/data, /tmp and /dev/shm', async () => {
    const code = `
import os, errno
written, failure = 0, None
try:
    for i in range(1000):
        folder = ["/mnt/data", "/tmp", "/dev/shm"][i % 3]
        with open(f"{folder}/fill{i}", "wb") as f:
            for _ in range(4):
                f.write(b"x" * 1024 * 1024)
                written += 1024 * 1024
except OSError as e:
    failure = errno.errorcode[e.errno]
for folder in ["/mnt/data", "/tmp", "/dev/shm"]:
    for name in os.listdir(folder):
        if name.startswith("fill"):
            os.remove(f"{folder}/{name}")
print(failure, written)
for path in ["/outside-the-cap", "/dev/outside-the-cap"]:
    try:
        open(path, "w")
    except OSError as e:
        print(errno.errorcode[e.errno])`;
    const result = await run('disk', code);
    const [summary, ...elsewhere] = result.logs.trim().split('\n');
    assert.deepEqual(elsewhere, ['EROFS', 'EROFS'], 'the sandbox has no writable place outside its tmpfs');
    const [failure, written] = summary.split(' ');
    assert.equal(failure, 'ENOSPC');
    assert.ok(Number(written) <= DISK_BYTES, written);
    const saveFile = async (file: SandboxFileOut) => (file.content.resume(), file.name);
    const kept = await sandbox.execute({ sessionKey: 'disk', code: 'open("after.txt", "w").write("ok")', saveFile });
    assert.deepEqual(kept.files, [{ name: 'after.txt', id: 'after.txt' }]);
    await assertHealthy();
  });

  it('caps an output flood with a notice', async () => {
    const result = await run('flood', 'for i in range(100_000):\n    print("x" * 99)');
    assert.equal(result.error, undefined);
    assert.ok(result.logs.length <= 256 * 1024 + 200, String(result.logs.length));
    assert.match(result.logs, /\[output truncated: \d+ more bytes were not shown\]/);
    assert.ok(result.logs.startsWith('x'.repeat(99)));
  });

  it('leaves no background process behind a call, nor behind the session', async () => {
    const code = `
import os, subprocess
subprocess.Popen(["sleep", "300"], start_new_session=True)
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        import time
        time.sleep(300)
    os._exit(0)
os.wait()
print("spawned")`;
    assert.equal((await run('orphans', code)).logs, 'spawned\n');
    const inside = await run('orphans', 'sorted(open(f"/proc/{p}/comm").read().strip() for p in os.listdir("/proc") if p.isdigit())');
    assert.equal(inside.logs, zygote ? "['python3', 'python3']\n" : "['bwrap', 'python3', 'python3']\n");
    const uid = await uidOf('orphans');
    await sandbox.closeSession('orphans');
    assert.deepEqual(processesOfUid(uid), []);
    assert.equal(existsSync(join(rootDir, `u${uid}`)), false);
    await assertHealthy();
  });
});
