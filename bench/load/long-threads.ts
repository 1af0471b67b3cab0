import { Agent, request } from 'node:http';
import { startChatUpstream } from '../../test/support/chat-upstream.js';
import { call, median, percentile, processCpuMs, spawnServer, writeResults } from '../support.js';

// Long threads: a streamed run's overhead (through assistd minus the same request sent straight to the upstream)
// on a 10-message thread and on a 10,000-message thread, about half of which fits gpt-4o-mini's context window:
// the run sends the newest 5,000 or so, and the direct call sends exactly what the run sent. Target: overhead on the long thread <= 3x the short one. The server's CPU time per run
// is printed beside it: on a loaded machine it varies far less than latency. BENCH_LONG (10000), BENCH_SAMPLES
// (20) change it.

const LONG = Number(process.env.BENCH_LONG ?? 10_000);
const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 20);

const agent = new Agent({ keepAlive: true, maxSockets: 64 });

/** POSTs JSON and reads the SSE answer to its end; resolves with the time to the last byte (ms). */
function stream(url: string, body: unknown): Promise<number> {
  const started = performance.now();
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } }, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`${url}: ${res.statusCode}`));
      res.resume();
      res.on('end', () => resolve(performance.now() - started));
    });
    req.on('error', reject);
    req.end(payload);
  });
}

const text = (i: number) => `Message ${i}: a few words about the weather, the news and what to cook tonight.`;

/** A thread of `count` alternating user and assistant messages; returns its id. */
async function longThread(url: string, count: number): Promise<{ id: string }> {
  const thread = await call(`${url}/v1/threads`, 'POST', {});
  const chat = Array.from({ length: count }, (_, i) => ({ role: i % 2 === 0 ? 'user' : 'assistant', content: text(i) }));
  // Created in order (ids sort by creation), a batch at a time.
  for (let i = 0; i < count; i += 200) {
    for (const m of chat.slice(i, i + 200)) await call(`${url}/v1/threads/${thread.body.id}/messages`, 'POST', m);
  }
  return { id: thread.body.id };
}

async function main() {
  const upstream = await startChatUpstream();
  upstream.fallback = () => ({ kind: 'completion', text: 'ok' });
  const server = await spawnServer({ OPENAI_BASE_URL: upstream.baseURL, OPENAI_API_KEY: 'bench', ASSISTD_CODE_POOL_SIZE: '0' });
  const assistant = await call(`${server.url}/v1/assistants`, 'POST', { model: 'gpt-4o-mini' });
  const results: Record<string, unknown> = {};
  const overheads: Record<string, number> = {};
  const cpuPerRun: Record<string, number> = {};
  for (const [name, count] of [['short', 10], ['long', LONG]] as const) {
    const thread = await longThread(server.url, count);
    const through: number[] = [];
    const direct: number[] = [];
    let cpu = 0;
    for (let i = 0; i < SAMPLES + 3; i++) {
      const before = processCpuMs(server.pid) ?? 0;
      const a = await stream(`${server.url}/v1/threads/${thread.id}/runs`, { assistant_id: assistant.body.id, stream: true });
      if (i >= 3) cpu += (processCpuMs(server.pid) ?? 0) - before;
      const sent = upstream.requests.at(-1)!.body.messages;
      upstream.requests.length = 0;
      const b = await stream(`${upstream.baseURL}/chat/completions`, { model: 'gpt-4o-mini', stream: true, stream_options: { include_usage: true }, messages: sent });
      upstream.requests.length = 0;
      if (i < 3) continue;
      through.push(a);
      direct.push(b);
    }
    const overhead = through.map((t, i) => t - direct[i]!);
    overheads[name] = median(overhead);
    cpuPerRun[name] = cpu / SAMPLES;
    results[name] = { messages: count, overhead_ms: { p50: median(overhead), p99: percentile(overhead, 99) }, through_ms_p50: median(through), direct_ms_p50: median(direct), server_cpu_ms_per_run: cpu / SAMPLES };
  }
  const ratio = overheads.long! / overheads.short!;
  results.ratio_p50 = ratio;
  console.table({
    'overhead p50, 10 messages (ms)': overheads.short!.toFixed(2),
    [`overhead p50, ${LONG} messages (ms)`]: overheads.long!.toFixed(2),
    'long / short (target <= 3)': ratio.toFixed(2),
    'server CPU per run, 10 messages (ms)': cpuPerRun.short!.toFixed(1),
    [`server CPU per run, ${LONG} messages (ms)`]: cpuPerRun.long!.toFixed(1),
  });
  writeResults('long-threads', results);
  await server.stop();
  await upstream.close();
}

await main();
