// Code interpreter at scale (issue 13): many new threads running code at once. Measures, in one run,
//   baseline: the first call of one new session alone, with the warm pool full;
//   on demand: the same with no warm pool (the worker is started for the call: forked, or a fresh bubblewrap);
//   burst:    BENCH_BURST (50) new sessions whose first calls all start at once (each call's latency, and the wall);
//   idle:     the PSS of one idle session after the burst (Python with numpy, pandas and matplotlib imported).
// Targets: burst p50 <= 2 s, first call <= 100 ms, idle session <= 30 MiB PSS.
// Standalone: `node --import tsx bench/load/code-burst.ts` (BENCH_BURST, BENCH_POOL to change the sizes).
// Writes bench/results/code-burst.json.
import { mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { memoryOf, processesOfUid } from '../../src/sandbox/proc-scan.js';
import { createSandbox, type Sandbox } from '../../src/sandbox/sandbox.js';

const BURST = Number(process.env.BENCH_BURST ?? 50);
const POOL = Number(process.env.BENCH_POOL ?? 2);
const BASELINE_RUNS = 5;
const MiB = 1024 * 1024;
const CODE = 'import numpy as np, pandas as pd\nint(pd.Series(np.arange(10)).sum())';

function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

async function firstCall(sandbox: Sandbox, key: string): Promise<number> {
  const start = performance.now();
  const result = await sandbox.execute({ sessionKey: key, code: CODE });
  if (result.logs !== '45\n') throw new Error(`unexpected result for ${key}: ${result.logs}`);
  return performance.now() - start;
}

async function baseline(sandbox: Sandbox): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < BASELINE_RUNS; i++) {
    await sandbox.warmUp();
    samples.push(await firstCall(sandbox, `alone-${i}`));
    await sandbox.closeSession(`alone-${i}`);
  }
  return samples;
}

/** First calls of new sessions one at a time on a sandbox without a warm pool. */
async function onDemand(rootDir: string): Promise<number[]> {
  const sandbox = createSandbox({ rootDir, poolSize: 0 });
  try {
    await firstCall(sandbox, 'on-demand-warmup'); // the runtime and (when on) the zygote, started once
    const samples: number[] = [];
    for (let i = 0; i < BASELINE_RUNS; i++) {
      samples.push(await firstCall(sandbox, `on-demand-${i}`));
      await sandbox.closeSession(`on-demand-${i}`);
    }
    return samples;
  } finally {
    await sandbox.close();
  }
}

async function idlePss(sandbox: Sandbox, keys: string[]): Promise<number> {
  const sample = keys.slice(0, 10);
  const uids = await Promise.all(sample.map(async (key) => Number((await sandbox.execute({ sessionKey: key, code: 'import os\nos.getuid()' })).logs)));
  await new Promise((resolve) => setTimeout(resolve, 1000));
  return percentile(uids.map((uid) => memoryOf(processesOfUid(uid)).pss), 50);
}

async function main(): Promise<void> {
  const rootDir = join(tmpdir(), 'assistd-sandbox-bench');
  const demand = await onDemand(rootDir);
  const sandbox = createSandbox({ rootDir, poolSize: POOL, maxSessions: BURST + BASELINE_RUNS });
  const status = await sandbox.warmUp();
  if (!status.available) throw new Error(`sandbox unavailable: ${status.reason}`);
  try {
    const alone = await baseline(sandbox);
    await sandbox.warmUp();
    const keys = Array.from({ length: BURST }, (_, i) => `burst-${i}`);
    const started = performance.now();
    const burst = await Promise.all(keys.map((key) => firstCall(sandbox, key)));
    const wall = performance.now() - started;
    const pss = await idlePss(sandbox, keys);
    const ms = (n: number) => Number(n.toFixed(1));
    const rows = [
      { metric: 'first call, one new session alone (baseline)', p50_ms: ms(percentile(alone, 50)), p95_ms: ms(percentile(alone, 95)), target: '<= 100 ms' },
      { metric: 'first call, one new session alone, no warm pool', p50_ms: ms(percentile(demand, 50)), p95_ms: ms(percentile(demand, 95)), target: '' },
      { metric: `first call, ${BURST} new sessions at once`, p50_ms: ms(percentile(burst, 50)), p95_ms: ms(percentile(burst, 95)), target: '<= 2000 ms p50' },
    ];
    const summary = { burst: BURST, pool: POOL, burst_wall_ms: ms(wall), burst_over_baseline_p50: ms(percentile(burst, 50) / percentile(alone, 50)), idle_pss_mib: ms(pss / MiB), idle_target_mib: 30, limits: status.limits };
    console.table(rows);
    console.table([summary]);
    await mkdir(new URL('../results/', import.meta.url), { recursive: true });
    const report = { benchmark: 'code-burst', date: new Date().toISOString(), latency: rows, summary };
    await writeFile(new URL('../results/code-burst.json', import.meta.url), `${JSON.stringify(report, null, 2)}\n`);
  } finally {
    await sandbox.close();
  }
}

await main();
