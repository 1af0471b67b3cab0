import { mkdtempSync, writeFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import pg from 'pg';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { reply, startChatUpstream } from '../../test/support/chat-upstream.js';
import { createTestDatabase } from '../../test/support/postgres.js';
import { call, median, processCpuMs, spawnServer, streamPost, writeResults, type BenchServer } from '../support.js';

// What rate limits cost, and what the concurrent-run limit does under load, on SQLite and on Postgres.
// Cost: two servers, one with every limit set for keys and projects (high enough never to refuse) and one
// without `rate_limits:`, measured in turns, round after round: a GET's latency, a streamed run's overhead over
// the direct upstream call, runs/s at 16 clients and server CPU per run. Claim: clients beyond a key's
// `concurrent_runs` create streamed runs against a slow upstream (two replicas on Postgres): created runs/s,
// 429s, and the most runs active at once, sampled from the database every 10 ms (the limit's own truth; the
// clients see a run's end a little after it is stored, so their view overlaps more).
// BENCH_DATABASES (sqlite,postgres), BENCH_ROUNDS (4), BENCH_GETS (200), BENCH_PAIRS (30), BENCH_BURST (200),
// BENCH_CLAIM_LIMIT (4), BENCH_CLAIM_CLIENTS (16), BENCH_CLAIM_MS (8000) change it.

const DATABASES = (process.env.BENCH_DATABASES ?? 'sqlite,postgres').split(',');
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 4);
const GETS = Number(process.env.BENCH_GETS ?? 200);
const PAIRS = Number(process.env.BENCH_PAIRS ?? 30);
const BURST = Number(process.env.BENCH_BURST ?? 200);
const CLAIM_LIMIT = Number(process.env.BENCH_CLAIM_LIMIT ?? 4);
const CLAIM_CLIENTS = Number(process.env.BENCH_CLAIM_CLIENTS ?? 16);
const CLAIM_MS = Number(process.env.BENCH_CLAIM_MS ?? 8000);

const HIGH = '{ requests_per_minute: 10000000, tokens_per_minute: 1000000000, concurrent_runs: 100000 }';
const ALL_LIMITS = `rate_limits:\n  per_key: ${HIGH}\n  default: ${HIGH}\n`;
const MESSAGES = [{ role: 'user', content: 'Say something short about benchmarks please' }];

interface Subject {
  name: string;
  server: BenchServer;
  assistant: string;
  get: number[];
  overhead: number[];
  cpuMs: number;
  runs: number;
  burstMs: number;
}

function configFile(text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'assistd-bench-limits-')), 'assistd.yaml');
  writeFileSync(path, text);
  return path;
}

async function databaseEnv(database: string): Promise<Record<string, string>> {
  return database === 'postgres' ? { DATABASE_URL: await createTestDatabase() } : {};
}

async function createAssistant(server: BenchServer): Promise<string> {
  return (await call(`${server.url}/v1/assistants`, 'POST', { model: 'gpt-4o-mini' })).body.id as string;
}

/** Limits against none: the same requests to each server in turn, each round starting with the other. */
async function measureCost(database: string, upstreamUrl: string): Promise<Record<string, Record<string, number>>> {
  const env = { OPENAI_BASE_URL: upstreamUrl, OPENAI_API_KEY: 'bench', ASSISTD_CODE_POOL_SIZE: '0' };
  const subjects: Subject[] = [];
  for (const [name, config] of [['limits', configFile(ALL_LIMITS)], ['none', undefined]] as const) {
    const server = await spawnServer({ ...env, ...(await databaseEnv(database)), ...(config ? { ASSISTD_CONFIG: config } : {}) }, { logLevel: 'warn' });
    subjects.push({ name, server, assistant: await createAssistant(server), get: [], overhead: [], cpuMs: 0, runs: 0, burstMs: 0 });
  }
  const run = (s: Subject) => streamPost(`${s.server.url}/v1/threads/runs`, { assistant_id: s.assistant, stream: true, thread: { messages: MESSAGES } });
  const direct = () => streamPost(`${upstreamUrl}/chat/completions`, { model: 'gpt-4o-mini', stream: true, stream_options: { include_usage: true }, messages: MESSAGES });
  for (const s of subjects) for (let i = 0; i < 30; i++) await run(s);
  for (let round = 0; round < ROUNDS; round++) {
    for (const s of round % 2 === 0 ? subjects : [...subjects].reverse()) {
      for (let i = 0; i < GETS; i++) {
        const started = performance.now();
        await call(`${s.server.url}/v1/assistants/${s.assistant}`, 'GET');
        s.get.push(performance.now() - started);
      }
      for (let i = 0; i < PAIRS; i++) s.overhead.push((await run(s)) - (await direct()));
      const before = processCpuMs(s.server.pid) ?? 0;
      const started = performance.now();
      let left = BURST;
      await Promise.all(Array.from({ length: 16 }, async () => {
        while (left-- > 0) await run(s);
      }));
      s.burstMs += performance.now() - started;
      s.cpuMs += (processCpuMs(s.server.pid) ?? 0) - before;
      s.runs += BURST;
    }
  }
  const rows: Record<string, Record<string, number>> = {};
  for (const s of subjects) {
    rows[s.name] = { get_p50_ms: median(s.get), run_overhead_p50_ms: median(s.overhead), runs_per_s_c16: (s.runs / s.burstMs) * 1000, server_cpu_ms_per_run: s.cpuMs / s.runs };
    await s.server.stop();
  }
  return rows;
}

const claimAgent = new Agent({ keepAlive: true, maxSockets: 256 });

/** One streamed create-thread-and-run: its status (429 when refused) and whether the run completed. */
function claimRun(url: string, assistantId: string): Promise<{ status: number; completed: boolean }> {
  const payload = JSON.stringify({ assistant_id: assistantId, stream: true, thread: { messages: MESSAGES } });
  return new Promise((resolve, reject) => {
    const req = request(`${url}/v1/threads/runs`, { method: 'POST', agent: claimAgent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } }, (res) => {
      let completed = false;
      res.on('data', (chunk: Buffer) => {
        completed ||= chunk.toString().includes('event: thread.run.completed');
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, completed }));
    });
    req.on('error', reject);
    req.end(payload);
  });
}

const ACTIVE_RUNS = "select count(*) as n from runs where status in ('queued', 'in_progress', 'cancelling')";

/** Samples the number of active runs in the database until `stop` is called; resolves with the most seen. */
function sampleActiveRuns(databaseUrl: string | undefined, dataDir: string): { stop(): Promise<number> } {
  let most = 0;
  let running = true;
  const done = (async () => {
    const count = databaseUrl
      ? await (async () => {
          const client = new pg.Client({ connectionString: databaseUrl });
          await client.connect();
          return { read: async () => Number((await client.query(ACTIVE_RUNS)).rows[0].n), close: () => client.end() };
        })()
      : (() => {
          const db = new Database(join(dataDir, 'assistd.sqlite'), { readonly: true });
          const statement = db.prepare(ACTIVE_RUNS);
          return { read: async () => Number((statement.get() as { n: number }).n), close: async () => db.close() };
        })();
    while (running) {
      most = Math.max(most, await count.read());
      await new Promise((r) => setTimeout(r, 10));
    }
    await count.close();
  })();
  return { stop: async () => ((running = false), await done, most) };
}

/** Clients beyond a key's concurrent_runs, spread over the replicas (two on Postgres, sharing the database). */
async function measureClaim(database: string, upstreamUrl: string): Promise<Record<string, number>> {
  const db = await databaseEnv(database);
  const env = { OPENAI_BASE_URL: upstreamUrl, OPENAI_API_KEY: 'bench', ASSISTD_CODE_POOL_SIZE: '0', ...db, ASSISTD_CONFIG: configFile(`rate_limits:\n  per_key: { concurrent_runs: ${CLAIM_LIMIT} }\n`) };
  const servers = database === 'postgres' ? [await spawnServer(env, { logLevel: 'warn' }), await spawnServer(env, { logLevel: 'warn' })] : [await spawnServer(env, { logLevel: 'warn' })];
  const assistant = await createAssistant(servers[0]!);
  const sampler = sampleActiveRuns(db.DATABASE_URL, servers[0]!.dataDir);
  const until = performance.now() + CLAIM_MS;
  const refusals: number[] = [];
  let completed = 0;
  let other = 0;
  await Promise.all(Array.from({ length: CLAIM_CLIENTS }, async (_, i) => {
    while (performance.now() < until) {
      const asked = performance.now();
      const outcome = await claimRun(servers[i % servers.length]!.url, assistant);
      if (outcome.status === 429) {
        refusals.push(performance.now() - asked);
        // As a client would, a refused one waits a little before asking again.
        await new Promise((r) => setTimeout(r, 25));
      }
      else if (outcome.completed) completed++;
      else other++;
    }
  }));
  const mostActive = await sampler.stop();
  for (const server of servers) await server.stop();
  return {
    limit: CLAIM_LIMIT,
    clients: CLAIM_CLIENTS,
    replicas: servers.length,
    runs_per_s: (completed / CLAIM_MS) * 1000,
    refused_per_s: (refusals.length / CLAIM_MS) * 1000,
    refusal_p50_ms: refusals.length ? median(refusals) : 0,
    max_active_in_database: mostActive,
    other_outcomes: other,
  };
}

async function main() {
  const upstream = await startChatUpstream({ record: false });
  const slow = await startChatUpstream({ record: false });
  slow.fallback = () => reply.text('served slowly', { chunkDelayMs: 40 });
  const results: Record<string, unknown> = { rounds: ROUNDS, gets_per_round: GETS, pairs_per_round: PAIRS, burst_per_round: BURST };
  for (const database of DATABASES) {
    const cost = await measureCost(database, upstream.baseURL);
    const claim = await measureClaim(database, slow.baseURL);
    results[database] = { cost, claim };
    const table: Record<string, Record<string, string>> = {};
    for (const [name, row] of Object.entries(cost)) {
      table[`${database}, ${name}`] = { 'GET p50 (ms)': row.get_p50_ms!.toFixed(2), 'run overhead p50 (ms)': row.run_overhead_p50_ms!.toFixed(2), 'runs/s c16': row.runs_per_s_c16!.toFixed(0), 'server CPU per run (ms)': row.server_cpu_ms_per_run!.toFixed(2) };
    }
    console.table(table);
    console.table({ [`${database}: concurrent_runs ${CLAIM_LIMIT} per key, ${CLAIM_CLIENTS} clients`]: claim });
  }
  writeResults('rate-limits', results);
  await upstream.close();
  await slow.close();
}

await main();
