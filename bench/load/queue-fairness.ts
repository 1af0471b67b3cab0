import { Agent, request } from 'node:http';
import { reply, startChatUpstream } from '../../test/support/chat-upstream.js';
import { createTestDatabase } from '../../test/support/postgres.js';
import { median, percentile, spawnServer, writeResults } from '../support.js';

// Queue fairness: more clients than run slots, each creating streamed runs back to back against an upstream that
// takes a fixed time. Every run waits for a slot; in queue order each waits about (clients / capacity - 1) run
// durations, the wait that capacity alone implies (the same-run baseline, from the durations measured here).
// A run's queue wait is measured client-side, from its `thread.run.created` event to `thread.run.in_progress`.
// Target: queue wait p99 <= implied + 1 s. BENCH_CAPACITY (8), BENCH_CLIENTS (4x capacity), BENCH_SUSTAIN_MS
// (10000) and BENCH_UPSTREAM_MS (about 100, the upstream's time per run) change the load; BENCH_DATABASE=postgres
// runs it on a private Postgres cluster.

const CAPACITY = Number(process.env.BENCH_CAPACITY ?? 8);
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? CAPACITY * 4);
const SUSTAIN_MS = Number(process.env.BENCH_SUSTAIN_MS ?? 10_000);
const UPSTREAM_MS = Number(process.env.BENCH_UPSTREAM_MS ?? 100);
const DATABASE = process.env.BENCH_DATABASE === 'postgres' ? 'postgres' : 'sqlite';

const agent = new Agent({ keepAlive: true, maxSockets: 4096 });

interface Timed {
  /** From the run's first event to its start. */
  waitMs: number;
  /** From its start to its end. */
  runMs: number;
}

/** One streamed create-thread-and-run, timed by its events. */
function timedRun(url: string, assistantId: string): Promise<Timed> {
  const payload = JSON.stringify({ assistant_id: assistantId, stream: true, thread: { messages: [{ role: 'user', content: 'wait your turn' }] } });
  return new Promise((resolve, reject) => {
    const req = request(`${url}/v1/threads/runs`, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } }, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`create run: ${res.statusCode}`));
      const at: Record<string, number> = {};
      let tail = '';
      res.on('data', (chunk: Buffer) => {
        const now = performance.now();
        const lines = (tail + chunk.toString()).split('\n');
        tail = lines.pop()!;
        for (const line of lines) if (line.startsWith('event: ')) at[line.slice(7)] ??= now;
      });
      res.on('end', () => {
        const created = at['thread.run.created'];
        const started = at['thread.run.in_progress'];
        const ended = at['thread.run.completed'];
        if (created === undefined || started === undefined || ended === undefined) return reject(new Error(`run did not complete: ${Object.keys(at).join(', ')}`));
        resolve({ waitMs: started - created, runMs: ended - started });
      });
    });
    req.on('error', reject);
    req.end(payload);
  });
}

async function main() {
  const upstream = await startChatUpstream({ record: false });
  // Four frames (role, text, finish, usage) then [DONE]: five delays make up the upstream's time.
  upstream.fallback = () => reply.text('served', { chunkDelayMs: UPSTREAM_MS / 5 });
  const database: Record<string, string> = DATABASE === 'postgres' ? { DATABASE_URL: await createTestDatabase() } : {};
  const server = await spawnServer({ OPENAI_BASE_URL: upstream.baseURL, OPENAI_API_KEY: 'bench', ASSISTD_CODE_POOL_SIZE: '0', ASSISTD_RUN_CAPACITY: String(CAPACITY), ...database });
  const assistant = await fetch(`${server.url}/v1/assistants`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'gpt-4o-mini' }) }).then((r) => r.json() as Promise<{ id: string }>);

  // The first round fills the queue; only runs started after it count.
  const warmUntil = performance.now() + Math.min(2000, SUSTAIN_MS / 4);
  const until = performance.now() + SUSTAIN_MS;
  const timings: Timed[] = [];
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (performance.now() < until) {
        const t = await timedRun(server.url, assistant.id);
        if (performance.now() - t.runMs - t.waitMs > warmUntil) timings.push(t);
      }
    }),
  );
  const waits = timings.map((t) => t.waitMs);
  const runMs = median(timings.map((t) => t.runMs));
  const implied = Math.max(0, CLIENTS / CAPACITY - 1) * runMs;
  const results = {
    database: DATABASE,
    capacity: CAPACITY,
    clients: CLIENTS,
    runs: timings.length,
    run_ms_p50: runMs,
    queue_wait_ms: { p50: median(waits), p99: percentile(waits, 99), max: Math.max(...waits) },
    implied_wait_ms: implied,
    p99_over_implied_ms: percentile(waits, 99) - implied,
  };
  console.table({
    'runs measured': results.runs,
    'run duration p50 (ms)': runMs.toFixed(0),
    'queue wait p50 (ms)': results.queue_wait_ms.p50.toFixed(0),
    'queue wait p99 (ms)': results.queue_wait_ms.p99.toFixed(0),
    'queue wait max (ms)': results.queue_wait_ms.max.toFixed(0),
    'wait capacity implies (ms)': implied.toFixed(0),
    'p99 - implied (ms, target <= 1000)': results.p99_over_implied_ms.toFixed(0),
  });
  writeResults(`queue-fairness-${DATABASE}-c${CAPACITY}`, results);
  await server.stop();
  await upstream.close();
}

await main();
