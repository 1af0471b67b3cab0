import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Shared by the benchmarks: a server in its own process (so the load generator does not share its event loop),
// a keep-alive HTTP client, percentiles and result files.

export interface BenchServer {
  url: string;
  pid: number;
  dataDir: string;
  stop(): Promise<void>;
}

/** Extra node flags for the server process, e.g. BENCH_SERVER_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof". */
function serverNodeArgs(): string[] {
  return (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean);
}

/**
 * How the server starts: `dist` (default) runs the compiled `dist/cli.js`, as `npm start` and production do;
 * `src` runs the TypeScript through tsx, which wraps every function and costs the hot path time production
 * does not pay. A `dist` run needs `npm run build` first in the checkout it runs (the baseline's too).
 */
function serverEntry(cwd: string): string[] {
  if (process.env.BENCH_SERVER === 'src') return ['--import', 'tsx', 'src/cli.ts'];
  const entry = join(cwd, 'dist', 'cli.js');
  if (!existsSync(entry)) throw new Error(`${entry} is missing: run \`npm run build\` there, or set BENCH_SERVER=src`);
  return [entry];
}

/** A port free right now, for a server that does not log its URL (below info). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/** Resolves once the server answers /healthz. */
async function ready(url: string, child: ChildProcess): Promise<void> {
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    if (await fetch(`${url}/healthz`).then((r) => r.ok, () => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface SpawnOptions {
  /** Runs the server of another checkout (a same-run baseline, e.g. BENCH_BASELINE=/work/wt/base). */
  cwd?: string;
  /** The server's log level (default info, where it logs its URL; below that it listens on a port picked here). */
  logLevel?: string;
  /** A data directory to use and keep (a fresh temporary one, removed on stop, by default). */
  dataDir?: string;
}

export async function spawnServer(env: Record<string, string> = {}, options: SpawnOptions = {}): Promise<BenchServer> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'assistd-bench-'));
  const logLevel = options.logLevel ?? 'info';
  const port = logLevel === 'info' ? 0 : await freePort();
  const child: ChildProcess = spawn(process.execPath, [...serverNodeArgs(), ...serverEntry(options.cwd ?? process.cwd()), 'serve', '--port', String(port), '--data-dir', dataDir, '--log-level', logLevel], {
    ...(options.cwd ? { cwd: options.cwd } : {}),
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let buffer: string | undefined = '';
    child.stdout!.on('data', (chunk) => {
      // Once the url is known the output is only drained, not kept: a long benchmark logs a lot.
      if (buffer === undefined) return;
      buffer += chunk;
      const match = /"url":"([^"]+)"/.exec(buffer);
      if (match) {
        buffer = undefined;
        resolve(match[1]!);
      }
    });
    child.on('exit', (code) => reject(new Error(`server exited with ${code}`)));
    if (port !== 0) {
      buffer = undefined;
      const at = `http://127.0.0.1:${port}`;
      ready(at, child).then(() => resolve(at), reject);
    }
  });
  return {
    url,
    pid: child.pid!,
    dataDir,
    // The data directory goes with the server: a messages run leaves over 100 MB behind otherwise.
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => {
          if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}

const agent = new Agent({ keepAlive: true, maxSockets: 512 });

/** One JSON request over a keep-alive socket; resolves with the status and parsed body. */
export function call(url: string, method: string, body?: unknown): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = request(url, { method, agent, headers: payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString() || 'null') }));
    });
    req.on('error', reject);
    req.end(payload);
  });
}

/**
 * CPU time (user + system, ms) a process has used so far, from /proc on Linux; undefined elsewhere. On a shared
 * machine the server's CPU per request varies far less than throughput, so it shows what a change really saved.
 */
export function processCpuMs(pid: number): number | undefined {
  const path = `/proc/${pid}/stat`;
  if (!existsSync(path)) return undefined;
  // Fields after the parenthesized command name; utime and stime are the 12th and 13th, in clock ticks (100/s).
  const fields = readFileSync(path, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export const median = (values: number[]) => percentile(values, 50);

export function writeResults(name: string, results: unknown): void {
  mkdirSync('bench/results', { recursive: true });
  const path = join('bench/results', `${name}.json`);
  writeFileSync(path, JSON.stringify({ at: new Date().toISOString(), machine: 'shared 2-core; numbers are noisy', results }, null, 2));
  console.log(`wrote ${path}`);
}

/**
 * Times `via` (through assistd) and `direct` (straight to the upstream) one after the other, `pairs` times after a
 * warm-up, so both see the same machine; the overhead of each pair is their difference.
 */
export async function measurePairs(via: () => Promise<number>, direct: () => Promise<number>, pairs: number): Promise<{ through: number[]; straight: number[]; overhead: number[] }> {
  for (let i = 0; i < 30; i++) await Promise.all([via(), direct()]);
  const through: number[] = [];
  const straight: number[] = [];
  const overhead: number[] = [];
  for (let i = 0; i < pairs; i++) {
    const a = await via();
    const b = await direct();
    through.push(a);
    straight.push(b);
    overhead.push(a - b);
  }
  return { through, straight, overhead };
}

/** Completed calls per second of `call` for `ms` at each concurrency, keyed `c<concurrency>`. */
export async function sustainedRates(call: () => Promise<unknown>, concurrencies: number[], ms: number): Promise<Record<string, number>> {
  const sustained: Record<string, number> = {};
  for (const concurrency of concurrencies) {
    let done = 0;
    const until = performance.now() + ms;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (performance.now() < until) {
          await call();
          done++;
        }
      }),
    );
    sustained[`c${concurrency}`] = done / ((performance.now() - started) / 1000);
  }
  return sustained;
}

/**
 * Uploads `n` files of about 1 KB over 8 connections: a locker code each, and words from a vocabulary of
 * `vocabulary` terms, so the lexical index has a real one. Returns their ids in order.
 */
export async function uploadRecords(url: string, n: number, vocabulary: number): Promise<string[]> {
  const ids = new Array<string>(n);
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < n) {
        const i = next++;
        const form = new FormData();
        form.append('purpose', 'assistants');
        const words = Array.from({ length: 80 + (i % 120) }, (_, w) => `word${(i * 31 + w) % vocabulary}`).join(' ');
        form.append('file', new Blob([`Record ${i}: the locker code is ${(i * 7919) % 100000}. ${words}`]), `record-${i}.txt`);
        const res = await fetch(`${url}/v1/files`, { method: 'POST', body: form });
        ids[i] = ((await res.json()) as { id: string }).id;
      }
    }),
  );
  return ids;
}

const streamAgent = new Agent({ keepAlive: true, maxSockets: 2048 });

export interface StreamPostOptions {
  /** Text the stream must end with for the call to count (`[DONE]`, the chat and run streams' last line). */
  lastEvent?: string;
  /** Called when the first bytes of the answer arrive. */
  onFirstEvent?: () => void;
}

/** POSTs JSON and reads the SSE answer to its end; resolves with the time to the last byte (ms). */
export function streamPost(url: string, body: unknown, options: StreamPostOptions = {}): Promise<number> {
  const { lastEvent = '[DONE]', onFirstEvent } = options;
  const started = performance.now();
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const headers = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), authorization: 'Bearer x' };
    const req = request(url, { method: 'POST', agent: streamAgent, headers }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        return reject(new Error(`${url}: ${res.statusCode}`));
      }
      let tail = '';
      let first = true;
      res.on('data', (chunk: Buffer) => {
        if (first) {
          first = false;
          onFirstEvent?.();
        }
        tail = (tail + chunk.toString()).slice(-4096);
      });
      res.on('end', () => (tail.includes(lastEvent) ? resolve(performance.now() - started) : reject(new Error(`stream ended early: ${tail.slice(-200)}`))));
    });
    req.on('error', reject);
    req.end(payload);
  });
}
