import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { startChatUpstream, reply } from '../test/support/chat-upstream.js';
import { createTestDatabase } from '../test/support/postgres.js';
import { median, percentile, spawnServer, writeResults, measurePairs, sustainedRates } from './support.js';

// Streamed create-thread-and-run through assistd vs the same chat request sent straight to the same local
// upstream, interleaved: the server's per-run overhead. Then sustained runs/s at concurrency 1, 16 and 256, and
// the server's RSS with 1,000 streams open at once. Targets (SQLite): overhead p50 <= 5 ms, >= 200 runs/s at
// concurrency 16, 1,000 open streams under 1 GB RSS.

const PAIRS = Number(process.env.BENCH_PAIRS ?? 300);
const SUSTAIN_MS = Number(process.env.BENCH_SUSTAIN_MS ?? 5000);
const OPEN_STREAMS = Number(process.env.BENCH_OPEN_STREAMS ?? 1000);
/** `postgres` runs the same benchmark on a private Postgres cluster (the targets are for SQLite). */
const DATABASE = process.env.BENCH_DATABASE === 'postgres' ? 'postgres' : 'sqlite';

const agent = new Agent({ keepAlive: true, maxSockets: 2048 });

/** POSTs JSON and reads the SSE answer to its end; resolves with the time to the last byte (ms). */
function streamRequest(url: string, body: unknown, onFirstEvent?: () => void): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const payload = JSON.stringify(body);
    const req = request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), authorization: 'Bearer x' } }, (res) => {
      if (res.statusCode !== 200) {
        reject(new Error(`${url}: ${res.statusCode}`));
        res.resume();
        return;
      }
      let first = true;
      let tail = '';
      res.on('data', (chunk: Buffer) => {
        if (first) {
          first = false;
          onFirstEvent?.();
        }
        tail = (tail + chunk.toString()).slice(-64);
      });
      res.on('end', () => (tail.includes('[DONE]') ? resolve(performance.now() - started) : reject(new Error(`stream ended early: ${tail}`))));
    });
    req.on('error', reject);
    req.end(payload);
  });
}

const question = 'Say something short about benchmarks please';

async function main() {
  const upstream = await startChatUpstream({ record: false });
  const database: Record<string, string> = DATABASE === 'postgres' ? { DATABASE_URL: await createTestDatabase() } : {};
  const server = await spawnServer({ OPENAI_BASE_URL: upstream.baseURL, OPENAI_API_KEY: 'bench', ASSISTD_CODE_POOL_SIZE: '0', ...database });
  const assistant = await fetch(`${server.url}/v1/assistants`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'gpt-4o-mini' }) }).then((r) => r.json() as Promise<{ id: string }>);
  const viaAssistd = (onFirst?: () => void) =>
    streamRequest(`${server.url}/v1/threads/runs`, { assistant_id: assistant.id, stream: true, thread: { messages: [{ role: 'user', content: question }] } }, onFirst);
  const direct = () =>
    streamRequest(`${upstream.baseURL}/chat/completions`, { model: 'gpt-4o-mini', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: question }] });

  const { through, straight, overhead } = await measurePairs(() => viaAssistd(), () => direct(), PAIRS);

  const sustained = await sustainedRates(() => viaAssistd(), [1, 16, 256], SUSTAIN_MS);

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

  const results = {
    database: DATABASE,
    overhead_ms: { p50: median(overhead), p99: percentile(overhead, 99) },
    through_assistd_ms: { p50: median(through), p99: percentile(through, 99) },
    direct_ms: { p50: median(straight), p99: percentile(straight, 99) },
    ratio_p50: median(through) / median(straight),
    runs_per_second: sustained,
    open_streams: { count: OPEN_STREAMS, rss_before_mib: rssBefore, rss_peak_mib: peak },
  };
  console.table({
    'overhead p50 (ms)': results.overhead_ms.p50.toFixed(2),
    'overhead p99 (ms)': results.overhead_ms.p99.toFixed(2),
    'assistd / direct (p50)': results.ratio_p50.toFixed(2),
    'runs/s c1': sustained.c1!.toFixed(0),
    'runs/s c16': sustained.c16!.toFixed(0),
    'runs/s c256': sustained.c256!.toFixed(0),
    [`RSS with ${OPEN_STREAMS} open streams (MiB)`]: peak.toFixed(0),
  });
  writeResults(DATABASE === 'postgres' ? 'runs-postgres' : 'runs', results);
  await server.stop();
  await upstream.close();
}

function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024;
}

await main();
