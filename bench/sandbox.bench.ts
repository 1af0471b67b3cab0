// Sandbox benchmark: first call of a new session with the pool warm, warm-call round trip, a matplotlib chart
// end to end, and the memory of 20 idle sessions. Prints a table and writes bench/results/sandbox.json.
import { mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { memoryOf, processesOfUid } from '../src/sandbox/proc-scan.js';
import { createSandbox, type Sandbox } from '../src/sandbox/sandbox.js';

const FIRST_CALL_RUNS = 12;
const WARM_CALL_RUNS = 300;
const CHART_RUNS = 25;
const IDLE_SESSIONS = 20;
const MiB = 1024 * 1024;

const CHART = [
  'import numpy as np, matplotlib.pyplot as plt',
  'x = np.linspace(0, 4 * np.pi, 400)',
  'plt.figure(figsize=(8, 4))',
  'plt.plot(x, np.sin(x), label="sin(x)")',
  'plt.title("Sine wave"); plt.xlabel("x"); plt.ylabel("y"); plt.grid(True); plt.legend()',
  'plt.show()',
].join('\n');

function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

async function firstCalls(sandbox: Sandbox): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < FIRST_CALL_RUNS; i++) {
    await sandbox.warmUp(); // the measured case is a new session while the pool is warm
    const key = `first-${i}`;
    samples.push(await timed(() => sandbox.execute({ sessionKey: key, code: '1 + 1' })));
    await sandbox.closeSession(key);
  }
  return samples;
}

async function warmCalls(sandbox: Sandbox): Promise<number[]> {
  await sandbox.execute({ sessionKey: 'warm', code: '0' });
  const samples: number[] = [];
  for (let i = 0; i < WARM_CALL_RUNS; i++) samples.push(await timed(() => sandbox.execute({ sessionKey: 'warm', code: '1 + 1' })));
  return samples;
}

async function charts(sandbox: Sandbox): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < CHART_RUNS; i++) {
    const start = performance.now();
    const result = await sandbox.execute({ sessionKey: 'chart', code: CHART });
    if (result.images.length !== 1 || result.images[0].readUInt32BE(0) !== 0x89504e47) throw new Error(`no PNG: ${result.logs}`);
    samples.push(performance.now() - start);
  }
  return samples;
}

async function idleSessionMemory(sandbox: Sandbox): Promise<{ rss: number; pss: number; processes: number }> {
  const code = 'import os, numpy, pandas, matplotlib.pyplot as plt\nos.getuid()';
  const results = await Promise.all(
    Array.from({ length: IDLE_SESSIONS }, (_, i) => sandbox.execute({ sessionKey: `idle-${i}`, code })),
  );
  await new Promise((resolve) => setTimeout(resolve, 2000));
  const pids = results.flatMap((r) => processesOfUid(Number(r.logs.trim())));
  return { ...memoryOf(pids), processes: pids.length };
}

async function main(): Promise<void> {
  const sandbox = createSandbox({ rootDir: join(tmpdir(), 'assistd-sandbox-bench'), poolSize: 2 });
  const status = await sandbox.warmUp();
  if (!status.available) throw new Error(`sandbox unavailable: ${status.reason}`);
  try {
    const first = await firstCalls(sandbox);
    const warm = await warmCalls(sandbox);
    const chart = await charts(sandbox);
    const memory = await idleSessionMemory(sandbox);
    const rows = [
      { metric: 'first call, new session, pool warm', p50_ms: percentile(first, 50), p90_ms: percentile(first, 90), runs: first.length, target: '<= 150 ms p50' },
      { metric: 'warm call round trip (1 + 1)', p50_ms: percentile(warm, 50), p90_ms: percentile(warm, 90), runs: warm.length, target: '<= 10 ms p50' },
      { metric: 'matplotlib chart, code -> PNG bytes', p50_ms: percentile(chart, 50), p90_ms: percentile(chart, 90), runs: chart.length, target: '<= 400 ms p50' },
    ].map((r) => ({ ...r, p50_ms: Number(r.p50_ms.toFixed(2)), p90_ms: Number(r.p90_ms.toFixed(2)) }));
    const idle = {
      sessions: IDLE_SESSIONS,
      processes: memory.processes,
      rss_mib: Math.round(memory.rss / MiB),
      pss_mib: Math.round(memory.pss / MiB),
      pss_per_session_mib: Math.round(memory.pss / MiB / IDLE_SESSIONS),
      target: '< 2048 MiB',
    };
    console.table(rows);
    console.table([idle]);
    await mkdir(new URL('./results/', import.meta.url), { recursive: true });
    const report = { benchmark: 'sandbox', date: new Date().toISOString(), latency: rows, idle_sessions_memory: idle };
    await writeFile(new URL('./results/sandbox.json', import.meta.url), `${JSON.stringify(report, null, 2)}\n`);
  } finally {
    await sandbox.close();
  }
}

await main();
