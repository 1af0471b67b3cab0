import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { processesOfUid } from './proc-scan.js';
import { createSandbox, type ExecuteResult, type Sandbox, type SandboxFileOut } from './sandbox.js';

const rootDir = join(tmpdir(), 'assistd-sandbox-test');
const MEMORY_MIB = 640;
const V1_SHARES = '/sys/fs/cgroup/cpu/assistd-sandbox/cpu.shares';

/** CPU time (ms) the processes of a uid have used, threads included, from /proc/<pid>/stat. */
function cpuMsOfUid(uid: number): number {
  let ticks = 0;
  for (const pid of processesOfUid(uid)) {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      ticks += Number(fields[11]) + Number(fields[12]); // utime, stime
    } catch {
      // gone meanwhile
    }
  }
  return ticks * 10; // USER_HZ is 100 on Linux
}

/** The session's cgroup's cpu.stat (v1: the cpu hierarchy; v2: the unified one). */
function cpuStat(uid: number): Record<string, number> {
  const paths = [`/sys/fs/cgroup/cpu/assistd-sandbox/u${uid}/cpu.stat`, `/sys/fs/cgroup/assistd-sandbox/u${uid}/cpu.stat`];
  for (const path of paths) {
    try {
      return Object.fromEntries(readFileSync(path, 'utf8').trim().split('\n').map((line) => [line.split(' ')[0], Number(line.split(' ')[1])]));
    } catch {
      // the other version
    }
  }
  return {};
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Receives output files as the tool does, keeping only their sizes and how many chunks each came in. */
function sink() {
  const saved: Array<{ name: string; bytes: number; chunks: number }> = [];
  const saveFile = async (file: SandboxFileOut) => {
    let bytes = 0;
    let chunks = 0;
    for await (const chunk of file.content) {
      bytes += (chunk as Buffer).length;
      chunks++;
    }
    saved.push({ name: file.name, bytes, chunks });
    return `file-${saved.length}`;
  };
  return { saved, saveFile };
}

describe('sandbox limits: a session is contained in CPU, memory, processes and output', () => {
  let sandbox: Sandbox;
  const run = (sessionKey: string, code: string, extra: Partial<Parameters<Sandbox['execute']>[0]> = {}): Promise<ExecuteResult> =>
    sandbox.execute({ sessionKey, code, ...extra });
  const uidOf = async (sessionKey: string) => Number((await run(sessionKey, 'import os\nos.getuid()')).logs.trim());

  before(async () => {
    sandbox = createSandbox({
      rootDir,
      poolSize: 1,
      callTimeoutMs: 20_000,
      memoryBytes: MEMORY_MIB * 1024 ** 2,
      diskBytes: 64 * 1024 ** 2,
      cpus: 0.25,
      maxFileBytes: 2 * 1024 ** 2,
      maxFilesPerCall: 6,
      maxOutputBytesPerCall: 3 * 1024 ** 2,
      maxFilesPerSession: 5,
    });
    const status = await sandbox.warmUp();
    assert.equal(status.available, true, status.reason);
    assert.match(status.limits ?? '', /^one cgroup v[12]/, 'this host (root, cgroups) gives each session a cgroup');
  });

  after(async () => {
    await sandbox.close();
  });

  it('uses no CPU between calls: threads the code leaves running are frozen', async () => {
    const uid = await uidOf('spin');
    const code = 'import threading\ndef spin():\n    while True:\n        pass\nfor _ in range(4):\n    threading.Thread(target=spin, daemon=True).start()\n"started"';
    assert.equal((await run('spin', code)).logs, "'started'\n");
    await sleep(200);
    const start = cpuMsOfUid(uid);
    await sleep(1500);
    const spent = cpuMsOfUid(uid) - start;
    assert.ok(spent <= 100, `the session used ${spent} ms of CPU between calls`);
    // The threads run again during the next call, and the session still answers.
    assert.equal((await run('spin', 'threading.active_count()')).logs, '5\n');
  });

  it('is capped to its share of CPU during a call, child processes included', async () => {
    const code = `
import os, time
start = time.time()
for _ in range(3):
    if os.fork() == 0:
        while time.time() - start < 2:
            pass
        os._exit(0)
for _ in range(3):
    os.wait()
t = os.times()
print(round((t.children_user + t.children_system) / (time.time() - start), 2))`;
    const uid = await uidOf('cpu');
    const result = await run('cpu', code);
    const cores = Number(result.logs.trim());
    assert.ok(cores <= 0.4, `3 busy processes used ${cores} cores with a cap of 0.25`);
    // On a loaded host the share alone proves little: the cgroup must have held the session back.
    assert.ok((cpuStat(uid).nr_throttled ?? 0) > 0, JSON.stringify(cpuStat(uid)));
  });

  it('weighs its sessions together like one process per running session, not like one process in all', { skip: !existsSync(V1_SHARES) && 'cgroup v1 only' }, async () => {
    await Promise.all([run('w1', '0'), run('w2', '0')]);
    const calls = [run('w1', 'import time\ntime.sleep(2)'), run('w2', 'import time\ntime.sleep(2)')];
    // The parent group is the host's: another process's sandbox (a test file running beside this one) rewrites it
    // when its own sessions start or stop, so the highest value seen while both calls run is the one to judge.
    let during = 0;
    for (let i = 0; i < 8; i++) {
      await sleep(150);
      during = Math.max(during, Number(readFileSync(V1_SHARES, 'utf8')));
    }
    await Promise.all(calls);
    assert.ok(during >= 2048, `cpu.shares of the sessions' parent was ${during} with two sessions running`);
  });

  it('counts memfd held across calls against the session: the call fails clearly and the session recovers', async () => {
    const hold = `
import os
held = globals().setdefault("held", [])
for _ in range(6):
    fd = os.memfd_create("hoard")
    for _ in range(60):
        os.write(fd, b"x" * 1024 * 1024)
    held.append(fd)
print(len(held) * 60, "MiB held")`;
    assert.equal((await run('memfd', hold)).logs, '360 MiB held\n');
    const result = await run('memfd', hold);
    assert.equal(result.error?.name, 'SandboxCrash', result.logs);
    assert.match(result.error?.message ?? '', new RegExp(`memory limit of ${MEMORY_MIB} MiB`));
    assert.equal(result.restarted, true);
    assert.equal((await run('memfd', '"alive"')).logs, "'alive'\n");
  });

  it('counts the memory of all processes of a call together', async () => {
    const code = `
import os, time
pids = []
for _ in range(4):
    pid = os.fork()
    if pid == 0:
        block = bytearray(b"\\1") * (250 * 1024 * 1024)
        time.sleep(3)
        os._exit(0)
    pids.append(pid)
codes = [os.waitpid(pid, 0)[1] for pid in pids]
print(sum(1 for c in codes if c != 0), "of 4 killed")`;
    const result = await run('processes', code);
    const report = `${result.error?.message ?? ''}\n${result.logs}`;
    assert.match(report, new RegExp(`memory limit of ${MEMORY_MIB} MiB`), report);
    assert.equal((await run('processes', '"alive"')).logs, "'alive'\n");
  });

  it('streams output files and caps their bytes and count per call and per session, saying what it skipped', async () => {
    const { saved, saveFile } = sink();
    const write = (names: string[], mib: number) =>
      `for name in ${JSON.stringify(names)}:\n    open(name, "wb").write(b"x" * ${mib} * 1024 * 1024)`;
    const first = await run('outputs', write(['a.bin', 'b.bin', 'c.bin', 'd.bin'], 1), { saveFile });
    assert.deepEqual(first.files.map((f) => f.name), ['a.bin', 'b.bin', 'c.bin']);
    assert.ok(saved.every((f) => f.bytes === 1024 ** 2 && f.chunks > 1), 'each file arrives as a stream of chunks');
    assert.match(first.logs, /\/mnt\/data\/d\.bin \(1 MiB\) was not saved: the cap of 3 MiB of files per call was reached/);
    const big = await run('outputs', write(['big.bin'], 3), { saveFile });
    assert.deepEqual(big.files, []);
    assert.match(big.logs, /big\.bin \(3 MiB\) was not saved: it is larger than the cap of 2 MiB per file/);
    const more = await run('outputs', write(['e.txt', 'f.txt', 'g.txt'], 0), { saveFile });
    assert.deepEqual(more.files.map((f) => f.name), ['e.txt', 'f.txt']);
    assert.match(more.logs, /1 more changed file\(s\) in \/mnt\/data were not saved: the cap of 5 files per session was reached/);
  });
});

describe('sandbox sessions: a capped number, the least recently used idle one evicted, waiters served in order', () => {
  let sandbox: Sandbox;

  before(async () => {
    sandbox = createSandbox({ rootDir, poolSize: 3, maxSessions: 2 }); // warm workers: a new session would start at once
    assert.equal((await sandbox.warmUp()).available, true);
  });

  after(async () => {
    await sandbox.close();
  });

  it('evicts the least recently used idle session for a new one', async () => {
    const uid = async (key: string) => Number((await sandbox.execute({ sessionKey: key, code: 'import os\nos.getuid()' })).logs);
    const a = await uid('a');
    const b = await uid('b');
    await uid('a'); // b is now the least recently used
    const c = await uid('c');
    assert.deepEqual(processesOfUid(b), [], 'b was evicted');
    assert.ok(processesOfUid(a).length > 0 && processesOfUid(c).length > 0);
    assert.equal(await uid('a'), a, 'a kept its session');
  });

  it('queues new sessions while every session is busy, and serves them in arrival order', async () => {
    await sandbox.warmUp(); // a full pool: only the session cap can make d and e wait
    const call = (key: string, code: string) => sandbox.execute({ sessionKey: key, code });
    const busy = [call('a', 'import time\ntime.sleep(1)\ntime.time()'), call('c', 'import time\ntime.sleep(2)\ntime.time()')];
    await sleep(100);
    const started = 'import time\ntime.time()';
    const queued = [call('d', started), call('e', started)];
    const [aEnd, cEnd, dAt, eAt] = (await Promise.all([...busy, ...queued])).map((r) => Number(r.logs));
    assert.ok(dAt! > aEnd!, `d waited for a busy session to become idle: ${[aEnd, cEnd, dAt, eAt]}`);
    assert.ok(eAt! > dAt!, 'e, queued after d, started after it');
    const ctrl = new AbortController();
    const hold = [call('d', 'time.sleep(1)'), call('e', 'time.sleep(1)')];
    const cancelled = sandbox.execute({ sessionKey: 'f', code: '1', signal: ctrl.signal });
    ctrl.abort();
    assert.equal((await cancelled).error?.name, 'Cancelled', 'a queued call of a cancelled run never starts');
    await Promise.all(hold);
  });
});

describe('sandbox limits without cgroups: rlimits, and SIGSTOP between calls', () => {
  it('says so in its status and still stops threads between calls', async () => {
    const sandbox = createSandbox({ rootDir, poolSize: 0, cgroups: false });
    try {
      const status = await sandbox.warmUp();
      assert.match(status.limits ?? '', /^rlimits per process only \(no cgroup: cgroups are turned off\)/);
      const uid = Number((await sandbox.execute({ sessionKey: 'spin', code: 'import os\nos.getuid()' })).logs);
      const code = 'import threading\ndef spin():\n    while True:\n        pass\nthreading.Thread(target=spin, daemon=True).start()';
      await sandbox.execute({ sessionKey: 'spin', code });
      await sleep(200);
      const start = cpuMsOfUid(uid);
      await sleep(1000);
      assert.ok(cpuMsOfUid(uid) - start <= 100, `${cpuMsOfUid(uid) - start} ms of CPU between calls`);
      assert.equal((await sandbox.execute({ sessionKey: 'spin', code: 'threading.active_count()' })).logs, '2\n');
    } finally {
      await sandbox.close();
    }
  });
});
