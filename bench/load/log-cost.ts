import { startChatUpstream } from '../../test/support/chat-upstream.js';
import { median, processCpuMs, spawnServer, streamPost, writeResults, type BenchServer } from '../support.js';

// What info-level logging costs a run: two servers, one at LOG_LEVEL=info (request and run lifecycle lines) and
// one at warn, the same streamed create-thread-and-run sent to each in turn, round after round, so both see the
// same machine. Per server: overhead p50 over the direct upstream call (one client), runs/s at 16 clients and
// server CPU per run. BENCH_ROUNDS (4), BENCH_PAIRS (50 a round), BENCH_BURST (400 runs a round) change it.

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 4);
const PAIRS = Number(process.env.BENCH_PAIRS ?? 50);
const BURST = Number(process.env.BENCH_BURST ?? 400);
const CLIENTS = 16;


interface Subject {
  level: string;
  server: BenchServer;
  assistant: string;
  overhead: number[];
  cpuMs: number;
  runs: number;
  burstMs: number;
}

async function main() {
  const upstream = await startChatUpstream({ record: false });
  const env = { OPENAI_BASE_URL: upstream.baseURL, OPENAI_API_KEY: 'bench', ASSISTD_CODE_POOL_SIZE: '0' };
  const subjects: Subject[] = [];
  for (const level of ['info', 'warn']) {
    const server = await spawnServer(env, { logLevel: level });
    const assistant = await fetch(`${server.url}/v1/assistants`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'gpt-4o-mini' }) }).then((r) => r.json() as Promise<{ id: string }>);
    subjects.push({ level, server, assistant: assistant.id, overhead: [], cpuMs: 0, runs: 0, burstMs: 0 });
  }
  const messages = [{ role: 'user', content: 'Say something short about benchmarks please' }];
  const run = (s: Subject) => streamPost(`${s.server.url}/v1/threads/runs`, { assistant_id: s.assistant, stream: true, thread: { messages } });
  const direct = () => streamPost(`${upstream.baseURL}/chat/completions`, { model: 'gpt-4o-mini', stream: true, stream_options: { include_usage: true }, messages });
  for (const s of subjects) for (let i = 0; i < 30; i++) await run(s);
  for (let round = 0; round < ROUNDS; round++) {
    // Each round starts with the other server, so neither always follows the other's burst.
    for (const s of round % 2 === 0 ? subjects : [...subjects].reverse()) {
      for (let i = 0; i < PAIRS; i++) s.overhead.push((await run(s)) - (await direct()));
      const before = processCpuMs(s.server.pid) ?? 0;
      const started = performance.now();
      let left = BURST;
      await Promise.all(Array.from({ length: CLIENTS }, async () => {
        while (left-- > 0) await run(s);
      }));
      s.burstMs += performance.now() - started;
      s.cpuMs += (processCpuMs(s.server.pid) ?? 0) - before;
      s.runs += BURST;
    }
  }
  const results: Record<string, unknown> = { rounds: ROUNDS, pairs_per_round: PAIRS, burst_per_round: BURST };
  const table: Record<string, Record<string, string>> = {};
  for (const s of subjects) {
    const row = { overhead_p50_ms: median(s.overhead), runs_per_s_c16: (s.runs / s.burstMs) * 1000, server_cpu_ms_per_run: s.cpuMs / s.runs };
    results[s.level] = row;
    table[`LOG_LEVEL=${s.level}`] = { 'overhead p50 (ms)': row.overhead_p50_ms.toFixed(2), 'runs/s c16': row.runs_per_s_c16.toFixed(0), 'server CPU per run (ms)': row.server_cpu_ms_per_run.toFixed(2) };
  }
  console.table(table);
  writeResults('log-cost', results);
  for (const s of subjects) await s.server.stop();
  await upstream.close();
}

await main();
