import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { processesOfUid } from './proc-scan.js';
import { createSandbox, type Sandbox, type SandboxFileOut, SandboxUnavailableError } from './sandbox.js';

const rootDir = join(tmpdir(), 'assistd-sandbox-test');
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

async function uidOf(sandbox: Sandbox, sessionKey: string): Promise<number> {
  const result = await sandbox.execute({ sessionKey, code: 'import os\nos.getuid()' });
  return Number(result.logs.trim());
}

describe('sandbox: sessions, charts, files', () => {
  let sandbox: Sandbox;

  before(async () => {
    sandbox = createSandbox({ rootDir, poolSize: 2, callTimeoutMs: 10_000, interruptGraceMs: 300 });
    const status = await sandbox.warmUp();
    assert.equal(status.available, true, status.reason);
  });

  after(async () => {
    await sandbox.close();
  });

  it('keeps variables, imports and files between calls of a session', async () => {
    const first = await sandbox.execute({ sessionKey: 'state', code: 'import math\nx = 20\nopen("note.txt", "w").write("kept")' });
    assert.equal(first.error, undefined);
    const second = await sandbox.execute({ sessionKey: 'state', code: 'print(x * 2 + 2, math.pi > 3, open("note.txt").read())' });
    assert.equal(second.logs, '42 True kept\n');
    assert.equal(second.restarted, false);
  });

  it('shows the value of a trailing expression and reports exceptions with a traceback', async () => {
    const value = await sandbox.execute({ sessionKey: 'expr', code: 'a = [1, 2]\na + [3]' });
    assert.equal(value.logs, '[1, 2, 3]\n');
    const failure = await sandbox.execute({ sessionKey: 'expr', code: 'print("before")\n{}["missing"]' });
    assert.deepEqual(failure.error, { name: 'KeyError', message: "'missing'" });
    assert.match(failure.logs, /^before\nTraceback \(most recent call last\):\n {2}File "<cell 2>", line 2/);
    assert.doesNotMatch(failure.logs, /kernel\.py/);
    const syntax = await sandbox.execute({ sessionKey: 'expr', code: 'def f(:' });
    assert.equal(syntax.error?.name, 'SyntaxError');
  });

  it('renders a sine wave as a PNG and closes the figure', async () => {
    const code = [
      'import numpy as np, matplotlib.pyplot as plt',
      'x = np.linspace(0, 2 * np.pi, 200)',
      'plt.plot(x, np.sin(x))',
      'plt.title("Sine wave")',
      'plt.show()',
      'plt.figure(); plt.plot([1, 2, 3])',
    ].join('\n');
    const result = await sandbox.execute({ sessionKey: 'chart', code });
    assert.equal(result.error, undefined, result.logs);
    assert.equal(result.images.length, 2);
    for (const image of result.images) {
      assert.deepEqual(image.subarray(0, 8), PNG_SIGNATURE);
      assert.ok(image.length > 5000);
    }
    const next = await sandbox.execute({ sessionKey: 'chart', code: 'len(plt.get_fignums())' });
    assert.equal(next.logs, '0\n');
    assert.equal(next.images.length, 0);
  });

  it('copies input files in and returns new and changed files', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sandbox-in-'));
    await writeFile(join(dir, 'upload.bin'), 'a,b\n1,2\n3,4\n');
    const files = [{ name: 'data.csv', path: join(dir, 'upload.bin') }];
    const code = [
      'import pandas as pd, os',
      'df = pd.read_csv("/mnt/data/data.csv")',
      'df["c"] = df.a + df.b',
      'df.to_csv("out.csv", index=False)',
      'os.makedirs("reports", exist_ok=True)',
      'open("reports/sum.txt", "w").write(str(df.c.sum()))',
      'open("/tmp/scratch.txt", "w").write("not in /mnt/data")',
    ].join('\n');
    const stored = new Map<string, string>();
    const saveFile = async (file: SandboxFileOut) => {
      const chunks: Buffer[] = [];
      for await (const chunk of file.content) chunks.push(chunk as Buffer);
      stored.set(`id-${stored.size}`, Buffer.concat(chunks).toString());
      return `id-${stored.size - 1}`;
    };
    const result = await sandbox.execute({ sessionKey: 'files', code, files, saveFile });
    assert.equal(result.error, undefined, result.logs);
    const byName = new Map(result.files.map((f) => [f.name, stored.get(f.id)]));
    assert.deepEqual([...byName.keys()].sort(), ['out.csv', 'reports/sum.txt']);
    assert.equal(byName.get('out.csv'), 'a,b,c\n1,2,3\n3,4,7\n');
    assert.equal(byName.get('reports/sum.txt'), '10');
    const unchanged = await sandbox.execute({ sessionKey: 'files', code: 'open("out.csv").read()[:5]', saveFile });
    assert.deepEqual(unchanged.files, []);
    const rewritten = await sandbox.execute({ sessionKey: 'files', code: 'open("out.csv", "a").write("5,6,11\\n")', saveFile });
    assert.deepEqual(rewritten.files.map((f) => f.name), ['out.csv']);
    // An input is copied in once: a later call with the same inputs sees the code's edit, and nothing changed.
    const edited = await sandbox.execute({ sessionKey: 'files', code: 'open("/mnt/data/data.csv", "a").write("5,6\\n")', files, saveFile });
    assert.deepEqual(edited.files.map((f) => f.name), ['data.csv']);
    const again = await sandbox.execute({ sessionKey: 'files', code: 'print(open("/mnt/data/data.csv").read().splitlines()[-1])', files, saveFile });
    assert.equal(again.logs, '5,6\n');
    assert.deepEqual(again.files, []);
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps two sessions apart and runs them in parallel', async () => {
    await sandbox.warmUp();
    const code = (n: number) => `import time, os\nsecret = ${n}\nopen("mine.txt", "w").write("${n}")\ntime.sleep(1.5)\nprint(os.getuid())`;
    const started = Date.now();
    const [one, two] = await Promise.all([
      sandbox.execute({ sessionKey: 'iso-1', code: code(1) }),
      sandbox.execute({ sessionKey: 'iso-2', code: code(2) }),
    ]);
    assert.ok(Date.now() - started < 2800, `sessions ran one after the other (${Date.now() - started} ms)`);
    assert.notEqual(one.logs, two.logs, 'each session has its own uid');
    const peek = await sandbox.execute({ sessionKey: 'iso-2', code: 'print(secret, open("mine.txt").read(), sorted(os.listdir(".")))' });
    assert.equal(peek.logs, "2 2 ['mine.txt']\n");
    const look = 'import glob\nprint(glob.glob("/mnt/**/mine.txt", recursive=True) + glob.glob("/tmp/**/mine.txt", recursive=True))';
    assert.equal((await sandbox.execute({ sessionKey: 'iso-2', code: look })).logs, "['/mnt/data/mine.txt']\n");
    const pids = await sandbox.execute({ sessionKey: 'iso-2', code: 'sorted(open(f"/proc/{p}/comm").read().strip() for p in os.listdir("/proc") if p.isdigit())' });
    assert.equal(pids.logs, "['python3', 'python3']\n", 'only the keeper and the kernel are visible (the keeper is the init)');
  });

  it('serializes calls within one session', async () => {
    const slow = sandbox.execute({ sessionKey: 'serial', code: 'import time\ntime.sleep(0.5)\nstep = 1' });
    const next = sandbox.execute({ sessionKey: 'serial', code: 'step + 1' });
    assert.equal((await slow).error, undefined);
    assert.equal((await next).logs, '2\n');
  });

  it('interrupts an infinite loop, restarts the worker and keeps working', async () => {
    await sandbox.execute({ sessionKey: 'loop', code: 'before = 1\nopen("kept.txt", "w").write("yes")' });
    const uid = await uidOf(sandbox, 'loop');
    const started = Date.now();
    const result = await sandbox.execute({ sessionKey: 'loop', code: 'print("spinning")\nwhile True:\n    pass', timeoutMs: 700 });
    assert.ok(Date.now() - started < 3000);
    assert.equal(result.error?.name, 'Timeout');
    assert.match(result.error?.message ?? '', /restarted/);
    assert.equal(result.restarted, true);
    assert.match(result.logs, /spinning/);
    const next = await sandbox.execute({ sessionKey: 'loop', code: 'print("before" in globals(), open("kept.txt").read())' });
    assert.equal(next.logs, 'False yes\n');
    assert.equal(next.restarted, false);
    assert.equal(await uidOf(sandbox, 'loop'), uid, 'the session keeps its uid and files across a restart');
  });

  it('reports a worker that dies as SandboxCrash and restarts it', async () => {
    await sandbox.execute({ sessionKey: 'crash', code: 'doomed = 1' });
    const result = await sandbox.execute({ sessionKey: 'crash', code: 'import os\nprint("bye")\nos._exit(3)' });
    assert.equal(result.error?.name, 'SandboxCrash');
    assert.match(result.error?.message ?? '', /exited with status 3.*restarted/);
    assert.equal(result.restarted, true);
    assert.equal(result.logs, 'bye\n');
    assert.equal((await sandbox.execute({ sessionKey: 'crash', code: "'doomed' in globals()" })).logs, 'False\n');
  });

  it('closeSession kills the processes and removes the files', async () => {
    const uid = await uidOf(sandbox, 'closing');
    assert.ok(processesOfUid(uid).length > 0);
    await sandbox.closeSession('closing');
    assert.deepEqual(processesOfUid(uid), []);
    assert.equal(existsSync(join(rootDir, `u${uid}`)), false);
    const fresh = await sandbox.execute({ sessionKey: 'closing', code: "'x' in globals()" });
    assert.equal(fresh.logs, 'False\n');
  });
});

describe('sandbox: lifetimes', () => {
  it('expires idle sessions and sessions past their lifetime', async () => {
    const sandbox = createSandbox({ rootDir, poolSize: 2, idleTtlMs: 400, sessionTtlMs: 1_500 });
    try {
      const idleUid = await uidOf(sandbox, 'idle');
      await new Promise((resolve) => setTimeout(resolve, 900));
      assert.deepEqual(processesOfUid(idleUid), []);
      assert.equal(existsSync(join(rootDir, `u${idleUid}`)), false);

      await sandbox.execute({ sessionKey: 'busy', code: 'marker = 1' });
      const deadline = Date.now() + 1_800;
      let seen = '';
      while (Date.now() < deadline) {
        seen = (await sandbox.execute({ sessionKey: 'busy', code: "'marker' in globals()" })).logs;
        await new Promise((resolve) => setTimeout(resolve, 150));
      }
      assert.equal(seen, 'False\n', 'a session used all the time still ends at its lifetime');
    } finally {
      await sandbox.close();
    }
  });
});

/** Host pids of this process's children running the zygote. */
function zygotePids(): number[] {
  return readdirSync('/proc').filter((name) => /^\d+$/.test(name)).map(Number).filter((pid) => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === process.pid && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('zygote.py');
    } catch {
      return false;
    }
  });
}

describe('sandbox: the zygote', () => {
  it('is started again when it dies, and the sessions it forked live on', async () => {
    const sandbox = createSandbox({ rootDir, poolSize: 0 });
    try {
      await sandbox.execute({ sessionKey: 'before', code: 'kept = 1' });
      const [zygote, ...others] = zygotePids();
      assert.ok(zygote && others.length === 0, 'one zygote runs');
      process.kill(zygote, 'SIGKILL');
      await new Promise((resolve) => setTimeout(resolve, 300));
      // Between calls the session is frozen, so a kill would land only once a call thaws it: check twice.
      for (let i = 0; i < 2; i++) {
        assert.equal((await sandbox.execute({ sessionKey: 'before', code: 'import time\ntime.sleep(0.2)\nkept' })).logs, '1\n');
      }
      const after = await sandbox.execute({ sessionKey: 'after', code: 'open("/proc/1/comm").read().strip()' });
      assert.equal(after.logs, "'python3'\n", 'a new session is forked again, by a new zygote');
      assert.equal(zygotePids().length, 1);
    } finally {
      await sandbox.close();
    }
    assert.deepEqual(zygotePids(), [], 'closing the sandbox ends its zygote');
  });
});

describe('sandbox: missing system packages', () => {
  it('reports what to install and never throws at construction', async () => {
    const noBwrap = createSandbox({ rootDir, bwrapPath: '/nonexistent/bwrap' });
    assert.equal(noBwrap.status().available, false);
    assert.match(noBwrap.status().reason ?? '', /apt-get install bubblewrap/);
    await assert.rejects(noBwrap.execute({ sessionKey: 's', code: '1' }), SandboxUnavailableError);
    await noBwrap.close();
    const noPython = createSandbox({ rootDir, pythonPath: '/nonexistent/python3' });
    assert.match(noPython.status().reason ?? '', /apt-get install python3/);
    await noPython.close();
  });
});
