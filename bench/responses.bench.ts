import { startChatUpstream } from '../test/support/chat-upstream.js';
import { createTestDatabase } from '../test/support/postgres.js';
import { median, percentile, spawnServer, streamPost, writeResults, measurePairs, sustainedRates } from './support.js';

// A streamed response through assistd vs the same chat request sent straight to the same local upstream,
// interleaved: the server's per-response overhead (target p50 <= 5 ms, as for streamed runs). Then sustained
// responses/s at concurrency 1 and 16. BENCH_PAIRS and BENCH_SUSTAIN_MS shorten it; BENCH_DATABASE=postgres.

const PAIRS = Number(process.env.BENCH_PAIRS ?? 300);
const SUSTAIN_MS = Number(process.env.BENCH_SUSTAIN_MS ?? 5000);
const DATABASE = process.env.BENCH_DATABASE === 'postgres' ? 'postgres' : 'sqlite';


const question = 'Say something short about benchmarks please';

async function main() {
  const upstream = await startChatUpstream({ record: false });
  const database: Record<string, string> = DATABASE === 'postgres' ? { DATABASE_URL: await createTestDatabase() } : {};
  const server = await spawnServer({ OPENAI_BASE_URL: upstream.baseURL, OPENAI_API_KEY: 'bench', ASSISTD_CODE_POOL_SIZE: '0', ...database });
  const viaAssistd = () => streamPost(`${server.url}/v1/responses`, { model: 'gpt-4o-mini', stream: true, input: question }, { lastEvent: 'event: response.completed' });
  const direct = () =>
    streamPost(`${upstream.baseURL}/chat/completions`, { model: 'gpt-4o-mini', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: question }] });

  const { through, straight, overhead } = await measurePairs(() => viaAssistd(), () => direct(), PAIRS);

  const sustained = await sustainedRates(() => viaAssistd(), [1, 16], SUSTAIN_MS);

  const results = {
    database: DATABASE,
    overhead_ms: { p50: median(overhead), p99: percentile(overhead, 99) },
    through_assistd_ms: { p50: median(through), p99: percentile(through, 99) },
    direct_ms: { p50: median(straight), p99: percentile(straight, 99) },
    ratio_p50: median(through) / median(straight),
    responses_per_second: sustained,
  };
  console.table({
    'overhead p50 (ms)': results.overhead_ms.p50.toFixed(2),
    'overhead p99 (ms)': results.overhead_ms.p99.toFixed(2),
    'assistd / direct (p50)': results.ratio_p50.toFixed(2),
    'responses/s c1': sustained.c1!.toFixed(0),
    'responses/s c16': sustained.c16!.toFixed(0),
  });
  writeResults(DATABASE === 'postgres' ? 'responses-postgres' : 'responses', results);
  await server.stop();
  await upstream.close();
}

await main();
