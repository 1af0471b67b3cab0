import { startChatUpstream } from '../../test/support/chat-upstream.js';
import { createTestDatabase } from '../../test/support/postgres.js';
import { call, median, percentile, processCpuMs, spawnServer, streamPost, writeResults, type BenchServer } from '../support.js';

// Long threads: a streamed run's overhead (through assistd minus the same request sent straight to the upstream)
// on a 10-message thread and on a 10,000-message thread, about half of which fits gpt-4o-mini's context window:
// the run sends the newest 5,000 or so, and the direct call sends exactly what the run sent. Target: overhead on
// the long thread <= 3x the short one. The server's CPU time per run is printed beside it: on a loaded machine it
// varies far less than latency. BENCH_LONG (10000), BENCH_SAMPLES (20) change it; BENCH_DATABASE=postgres runs
// on a private Postgres cluster; BENCH_BASELINE=<checkout> measures that checkout's server too, each sample taken
// from both servers one after the other so both see the same machine.

const LONG = Number(process.env.BENCH_LONG ?? 10_000);
const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 20);
const DATABASE = process.env.BENCH_DATABASE === 'postgres' ? 'postgres' : 'sqlite';
const BASELINE = process.env.BENCH_BASELINE;


const text = (i: number) => `Message ${i}: a few words about the weather, the news and what to cook tonight.`;

/** A thread of `count` alternating user and assistant messages, created in order (ids sort by creation); returns its id. */
async function longThread(url: string, count: number): Promise<string> {
  const thread = await call(`${url}/v1/threads`, 'POST', {});
  for (let i = 0; i < count; i++) await call(`${url}/v1/threads/${thread.body.id}/messages`, 'POST', { role: i % 2 === 0 ? 'user' : 'assistant', content: text(i) });
  return thread.body.id;
}

/** One server under test, with its assistant, its two threads and what was measured on each. */
interface Subject {
  name: string;
  server: BenchServer;
  assistant: string;
  threads: Record<'short' | 'long', string>;
  overhead: Record<'short' | 'long', number[]>;
  cpu: Record<'short' | 'long', number[]>;
}

async function subject(name: string, env: Record<string, string>, cwd?: string): Promise<Subject> {
  const database: Record<string, string> = DATABASE === 'postgres' ? { DATABASE_URL: await createTestDatabase() } : {};
  const server = await spawnServer({ ...env, ...database }, { cwd });
  const assistant = await call(`${server.url}/v1/assistants`, 'POST', { model: 'gpt-4o-mini' });
  const threads = { short: await longThread(server.url, 10), long: await longThread(server.url, LONG) };
  return { name, server, assistant: assistant.body.id, threads, overhead: { short: [], long: [] }, cpu: { short: [], long: [] } };
}

async function main() {
  const upstream = await startChatUpstream();
  upstream.fallback = () => ({ kind: 'completion', text: 'ok' });
  const env = { OPENAI_BASE_URL: upstream.baseURL, OPENAI_API_KEY: 'bench', ASSISTD_CODE_POOL_SIZE: '0' };
  const subjects = [await subject('this', env), ...(BASELINE ? [await subject('baseline', env, BASELINE)] : [])];
  /** One run through the subject's server and the same request straight to the upstream. */
  const sample = async (s: Subject, size: 'short' | 'long', keep: boolean) => {
    const before = processCpuMs(s.server.pid) ?? 0;
    const through = await streamPost(`${s.server.url}/v1/threads/${s.threads[size]}/runs`, { assistant_id: s.assistant, stream: true });
    const cpu = (processCpuMs(s.server.pid) ?? 0) - before;
    const sent = upstream.requests.at(-1)!.body.messages;
    upstream.requests.length = 0;
    const direct = await streamPost(`${upstream.baseURL}/chat/completions`, { model: 'gpt-4o-mini', stream: true, stream_options: { include_usage: true }, messages: sent });
    upstream.requests.length = 0;
    if (!keep) return;
    s.overhead[size].push(through - direct);
    s.cpu[size].push(cpu);
  };
  for (let i = 0; i < SAMPLES + 3; i++) {
    for (const size of ['short', 'long'] as const) for (const s of subjects) await sample(s, size, i >= 3);
  }
  const results: Record<string, unknown> = { database: DATABASE, long_messages: LONG, samples: SAMPLES };
  const table: Record<string, Record<string, string>> = {};
  for (const s of subjects) {
    const p50 = { short: median(s.overhead.short), long: median(s.overhead.long) };
    const cpu = { short: s.cpu.short.reduce((a, b) => a + b, 0) / SAMPLES, long: s.cpu.long.reduce((a, b) => a + b, 0) / SAMPLES };
    results[s.name] = {
      short: { overhead_ms: { p50: p50.short, p99: percentile(s.overhead.short, 99) }, server_cpu_ms_per_run: cpu.short },
      long: { overhead_ms: { p50: p50.long, p99: percentile(s.overhead.long, 99) }, server_cpu_ms_per_run: cpu.long },
      ratio_p50: p50.long / p50.short,
      cpu_ratio: cpu.long / cpu.short,
    };
    table[s.name] = {
      'overhead p50, 10 messages (ms)': p50.short.toFixed(2),
      [`overhead p50, ${LONG} messages (ms)`]: p50.long.toFixed(2),
      'long / short (target <= 3)': (p50.long / p50.short).toFixed(2),
      'server CPU per run, 10 messages (ms)': cpu.short.toFixed(1),
      [`server CPU per run, ${LONG} messages (ms)`]: cpu.long.toFixed(1),
    };
  }
  console.log(`database: ${DATABASE}`);
  console.table(table);
  writeResults(`long-threads-${DATABASE}`, results);
  for (const s of subjects) await s.server.stop();
  await upstream.close();
}

await main();
