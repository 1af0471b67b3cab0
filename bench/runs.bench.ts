import { readFileSync } from 'node:fs';
import pg from 'pg';
import { startChatUpstream, reply, type ChatUpstream } from '../test/support/chat-upstream.js';
import { createTestDatabase } from '../test/support/postgres.js';
import { median, percentile, processCpuMs, spawnServer, streamPost, writeResults, measurePairs, sustainedRates } from './support.js';

// Streamed create-thread-and-run through assistd vs the same chat request sent straight to the same local
// upstream, interleaved: the server's per-run overhead. Then sustained runs/s at concurrency 1, 16 and 256, and
// the server's RSS with 1,000 streams open at once. Targets (SQLite): overhead p50 <= 5 ms, >= 200 runs/s at
// concurrency 16, 1,000 open streams under 1 GB RSS. BENCH_BASELINE=<checkout> measures that checkout's server
// too, alternating over BENCH_ROUNDS rounds (3; 1 without a baseline); medians are reported.

const PAIRS = Number(process.env.BENCH_PAIRS ?? 300);
const SUSTAIN_MS = Number(process.env.BENCH_SUSTAIN_MS ?? 5000);
const WARMUP_MS = Number(process.env.BENCH_WARMUP_MS ?? 3000);
const OPEN_STREAMS = Number(process.env.BENCH_OPEN_STREAMS ?? 1000);
type Database = 'sqlite' | 'postgres';
/**
 * `postgres` runs the same benchmark on a private Postgres cluster (the targets are for SQLite); `both` runs
 * SQLite and Postgres in alternating rounds and prints Postgres's overhead over SQLite's, measured in one run.
 */
const DATABASES: Database[] = process.env.BENCH_DATABASE === 'both' ? ['sqlite', 'postgres'] : process.env.BENCH_DATABASE === 'postgres' ? ['postgres'] : ['sqlite'];
/**
 * `thread` times a run created on an existing thread (made, with the question, just before and not timed) instead
 * of create-thread-and-run: the flow of apps that add a message, then run. Its runs/s count the thread creates too.
 */
const FLOW = process.env.BENCH_FLOW === 'thread' ? 'thread' : 'create-thread-and-run';
/** Another checkout (built with `npm run build`) measured in alternating rounds beside this one. */
const BASELINE = process.env.BENCH_BASELINE;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? (BASELINE ? 3 : 1));


const question = 'Say something short about benchmarks please';

type Results = Awaited<ReturnType<typeof measure>>;

/** Every figure of one server (the checkout at `cwd`, or this one) against the shared upstream. */
async function measure(upstream: ChatUpstream, db: Database, cwd?: string) {
  // A database of its own: a baseline cannot open one that newer code has migrated.
  const database: Record<string, string> = db === 'postgres' ? { DATABASE_URL: await createTestDatabase() } : {};
  const echo = upstream.fallback;
  // Room for every stream held open below, whatever max_open_streams defaults to.
  const streamCap = { ASSISTD_MAX_OPEN_STREAMS: String(Math.max(2000, OPEN_STREAMS + 16)) };
  const server = await spawnServer({ OPENAI_BASE_URL: upstream.baseURL, OPENAI_API_KEY: 'bench', ASSISTD_CODE_POOL_SIZE: '0', ...streamCap, ...database }, cwd ? { cwd } : {});
  const json = { method: 'POST', headers: { 'content-type': 'application/json' } };
  const assistant = await fetch(`${server.url}/v1/assistants`, { ...json, body: JSON.stringify({ model: 'gpt-4o-mini' }) }).then((r) => r.json() as Promise<{ id: string }>);
  const viaAssistd = async (onFirst?: () => void) => {
    if (FLOW === 'create-thread-and-run') return streamPost(`${server.url}/v1/threads/runs`, { assistant_id: assistant.id, stream: true, thread: { messages: [{ role: 'user', content: question }] } }, { onFirstEvent: onFirst });
    const thread = await fetch(`${server.url}/v1/threads`, { ...json, body: JSON.stringify({ messages: [{ role: 'user', content: question }] }) }).then((r) => r.json() as Promise<{ id: string }>);
    return streamPost(`${server.url}/v1/threads/${thread.id}/runs`, { assistant_id: assistant.id, stream: true }, { onFirstEvent: onFirst });
  };
  const direct = () =>
    streamPost(`${upstream.baseURL}/chat/completions`, { model: 'gpt-4o-mini', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: question }] });

  // A server in production is warm: the optimizing compiler has seen the hot path many times. Without this the
  // first few hundred runs, still interpreted, would dominate the overhead's median.
  await sustainedRates(() => viaAssistd(), [16], WARMUP_MS);
  const { through, straight, overhead } = await measurePairs(() => viaAssistd(), () => direct(), PAIRS);

  // Server CPU per run (user + system, all threads) is steadier than wall-clock rates on a shared machine.
  const sustained: Record<string, number> = {};
  const cpuPerRun: Record<string, number> = {};
  let postgresCpuPerRun = 0;
  for (const concurrency of [1, 16, 256]) {
    const before = processCpuMs(server.pid)!;
    const backendsBefore = concurrency === 16 && database.DATABASE_URL ? await backendCpuMs(database.DATABASE_URL) : 0;
    const started = performance.now();
    const rate = (await sustainedRates(() => viaAssistd(), [concurrency], SUSTAIN_MS))[`c${concurrency}`]!;
    sustained[`c${concurrency}`] = rate;
    const runs = (rate * (performance.now() - started)) / 1000;
    cpuPerRun[`c${concurrency}`] = (processCpuMs(server.pid)! - before) / runs;
    if (concurrency === 16 && database.DATABASE_URL) postgresCpuPerRun = ((await backendCpuMs(database.DATABASE_URL)) - backendsBefore) / runs;
  }

  // Hold every stream open: the upstream answers slowly, so all of them are mid-run at once.
  upstream.fallback = () => reply.text('one two three four five six', { chunkDelayMs: 1500 });
  const rssBefore = rssMiB(server.pid);
  let opened = 0;
  let peak = 0;
  let allOpen!: () => void;
  const allOpenPromise = new Promise<void>((r) => (allOpen = r));
  const streams = Array.from({ length: OPEN_STREAMS }, () =>
    viaAssistd(() => {
      if (++opened === OPEN_STREAMS) allOpen();
    }),
  );
  await allOpenPromise;
  const sampler = setInterval(() => (peak = Math.max(peak, rssMiB(server.pid))), 100);
  await Promise.all(streams);
  clearInterval(sampler);
  upstream.fallback = echo;
  await server.stop();
  return {
    overhead_ms: { p50: median(overhead), p99: percentile(overhead, 99) },
    through_assistd_ms: { p50: median(through), p99: percentile(through, 99) },
    direct_ms: { p50: median(straight), p99: percentile(straight, 99) },
    ratio_p50: median(through) / median(straight),
    runs_per_second: sustained,
    server_cpu_ms_per_run: cpuPerRun,
    postgres_cpu_ms_per_run_c16: postgresCpuPerRun,
    open_streams: { count: OPEN_STREAMS, rss_before_mib: rssBefore, rss_peak_mib: peak },
  };
}

/**
 * CPU (ms) used so far by the Postgres backends serving the server's database (its pool stays connected, so
 * the same backends are counted before and after a phase); the bench's cluster runs on this machine.
 */
async function backendCpuMs(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ pid: number }>('select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()');
    return rows.reduce((sum, { pid }) => sum + (processCpuMs(pid) ?? 0), 0);
  } finally {
    await client.end();
  }
}

/** The median of each figure over the rounds. */
function medians(rounds: Results[]): Results {
  const of = (pick: (r: Results) => number) => median(rounds.map(pick));
  return {
    overhead_ms: { p50: of((r) => r.overhead_ms.p50), p99: of((r) => r.overhead_ms.p99) },
    through_assistd_ms: { p50: of((r) => r.through_assistd_ms.p50), p99: of((r) => r.through_assistd_ms.p99) },
    direct_ms: { p50: of((r) => r.direct_ms.p50), p99: of((r) => r.direct_ms.p99) },
    ratio_p50: of((r) => r.ratio_p50),
    runs_per_second: Object.fromEntries(Object.keys(rounds[0]!.runs_per_second).map((k) => [k, of((r) => r.runs_per_second[k]!)])),
    server_cpu_ms_per_run: Object.fromEntries(Object.keys(rounds[0]!.server_cpu_ms_per_run).map((k) => [k, of((r) => r.server_cpu_ms_per_run[k]!)])),
    postgres_cpu_ms_per_run_c16: of((r) => r.postgres_cpu_ms_per_run_c16),
    open_streams: { count: OPEN_STREAMS, rss_before_mib: of((r) => r.open_streams.rss_before_mib), rss_peak_mib: of((r) => r.open_streams.rss_peak_mib) },
  };
}

function row(results: Results, db: Database): Record<string, string> {
  const sustained = results.runs_per_second;
  return {
    'overhead p50 (ms)': results.overhead_ms.p50.toFixed(2),
    'overhead p99 (ms)': results.overhead_ms.p99.toFixed(2),
    'assistd / direct (p50)': results.ratio_p50.toFixed(2),
    'runs/s c1': sustained.c1!.toFixed(0),
    'runs/s c16': sustained.c16!.toFixed(0),
    'runs/s c256': sustained.c256!.toFixed(0),
    'server CPU/run c16 (ms)': results.server_cpu_ms_per_run.c16!.toFixed(3),
    ...(db === 'postgres' ? { 'postgres CPU/run c16 (ms)': results.postgres_cpu_ms_per_run_c16.toFixed(3) } : {}),
    [`RSS with ${OPEN_STREAMS} open streams (MiB)`]: results.open_streams.rss_peak_mib.toFixed(0),
  };
}

async function main() {
  const upstream = await startChatUpstream({ record: false });
  const current = new Map<Database, Results[]>(DATABASES.map((db) => [db, []]));
  const baseline = new Map<Database, Results[]>(DATABASES.map((db) => [db, []]));
  // Alternating rounds put the baseline and this checkout, and both databases, in the same minutes of a noisy machine.
  for (let round = 0; round < ROUNDS; round++) {
    for (const db of DATABASES) {
      if (BASELINE) baseline.get(db)!.push(await measure(upstream, db, BASELINE));
      current.get(db)!.push(await measure(upstream, db));
    }
  }
  const table: Record<string, Record<string, string>> = {};
  for (const db of DATABASES) {
    const results = { database: db, flow: FLOW, rounds: ROUNDS, ...medians(current.get(db)!), ...(BASELINE ? { baseline: { checkout: BASELINE, ...medians(baseline.get(db)!) } } : {}) };
    table[`${db}${BASELINE ? ' current' : ''}`] = row(results, db);
    if (BASELINE) table[`${db} baseline`] = row(results.baseline!, db);
    writeResults(`runs${FLOW === 'thread' ? '-thread' : ''}${db === 'postgres' ? '-postgres' : ''}`, results);
  }
  if (FLOW === 'thread') console.log('flow: a run on an existing thread (runs/s include its thread create)');
  console.table(table);
  if (DATABASES.length === 2) {
    // The issue's figure: a Postgres run's overhead over a SQLite run's, p50 over p50 (medians of the rounds).
    const ratio = (runs: Map<Database, Results[]>) => (medians(runs.get('postgres')!).overhead_ms.p50 / medians(runs.get('sqlite')!).overhead_ms.p50).toFixed(2);
    console.log(`postgres / sqlite overhead p50: ${ratio(current)}${BASELINE ? ` (baseline ${ratio(baseline)})` : ''}`);
    // Each round's own ratio (its two databases measured minutes apart at most): the spread behind the median.
    const each = (runs: Map<Database, Results[]>) => runs.get('postgres')!.map((r, i) => (r.overhead_ms.p50 / runs.get('sqlite')![i]!.overhead_ms.p50).toFixed(2)).join(', ');
    if (ROUNDS > 1) console.log(`  by round: ${each(current)}${BASELINE ? ` (baseline ${each(baseline)})` : ''}`);
  }
  await upstream.close();
}


function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024;
}

await main();
