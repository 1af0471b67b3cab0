import OpenAI from 'openai';
import { reply, startChatUpstream } from '../../test/support/chat-upstream.js';
import { median, percentile, spawnServer, writeResults, type BenchServer } from '../support.js';

// Poll latency: how long after a run ends does the SDK's `createAndPoll` return? The run's own duration is the
// same run streamed (its last event is the run's end), interleaved with the polls; the difference is what polling
// adds. Measured with the poll hold (the default) and, as the same-run baseline, without it
// (ASSISTD_POLL_HOLD_MS=0: the SDK sleeps the 200 ms `openai-poll-after-ms` between retrieves). Target with
// the hold: p50 <= 20 ms. BENCH_SAMPLES (40) per mode; BENCH_UPSTREAM_MS (5): the upstream's time per run.

const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 40);
const UPSTREAM_MS = Number(process.env.BENCH_UPSTREAM_MS ?? 5);

interface Mode {
  name: string;
  server: BenchServer;
  client: OpenAI;
  assistantId: string;
}

async function mode(name: string, env: Record<string, string>): Promise<Mode> {
  const server = await spawnServer({ ASSISTD_CODE_POOL_SIZE: '0', ...env });
  const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'bench', maxRetries: 0 });
  const assistant = await client.beta.assistants.create({ model: 'gpt-4o-mini' });
  return { name, server, client, assistantId: assistant.id };
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await fn();
  return performance.now() - started;
}

async function main() {
  const upstream = await startChatUpstream({ record: false });
  upstream.fallback = () => reply.text('quick', { chunkDelayMs: UPSTREAM_MS / 5 });
  const env = { OPENAI_BASE_URL: upstream.baseURL, OPENAI_API_KEY: 'bench' };
  const modes = [await mode('hold', env), await mode('no hold', { ...env, ASSISTD_POLL_HOLD_MS: '0' })];
  const samples = new Map(modes.map((m) => [m.name, { poll: [] as number[], stream: [] as number[] }]));
  const message = { role: 'user' as const, content: 'be quick' };
  for (let i = 0; i < SAMPLES + 5; i++) {
    for (const m of modes) {
      const thread = await m.client.beta.threads.create({ messages: [message] });
      const poll = await timed(() => m.client.beta.threads.runs.createAndPoll(thread.id, { assistant_id: m.assistantId }));
      const other = await m.client.beta.threads.create({ messages: [message] });
      const stream = await timed(() => m.client.beta.threads.runs.stream(other.id, { assistant_id: m.assistantId }).finalRun());
      // The first few warm both servers up.
      if (i < 5) continue;
      samples.get(m.name)!.poll.push(poll);
      samples.get(m.name)!.stream.push(stream);
    }
  }
  const results: Record<string, unknown> = {};
  const table: Record<string, Record<string, string>> = {};
  for (const m of modes) {
    const s = samples.get(m.name)!;
    const added = s.poll.map((p, i) => p - s.stream[i]!);
    results[m.name] = { create_and_poll_ms: { p50: median(s.poll), p99: percentile(s.poll, 99) }, run_ms_p50: median(s.stream), added_ms: { p50: median(added), p99: percentile(added, 99) } };
    table[m.name] = {
      'createAndPoll p50 (ms)': median(s.poll).toFixed(1),
      'run, streamed p50 (ms)': median(s.stream).toFixed(1),
      'added by polling p50 (ms, target <= 20)': median(added).toFixed(1),
      'added by polling p99 (ms)': percentile(added, 99).toFixed(1),
    };
  }
  console.table(table);
  writeResults('poll-latency', results);
  for (const m of modes) await m.server.stop();
  await upstream.close();
}

await main();
