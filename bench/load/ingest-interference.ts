import { startChatUpstream } from '../../test/support/chat-upstream.js';
import { createTestDatabase } from '../../test/support/postgres.js';
import { call, median, percentile, processCpuMs, spawnServer, streamPost, uploadRecords, writeResults } from '../support.js';

// Does a large file batch slow the API? A streamed run's overhead (through assistd minus the same request sent
// straight to the local upstream, interleaved) and a simple GET, idle and while a batch of small files ingests
// with embeddings on (the local upstream serves them); and the ingest rate at the start and the end of the queue,
// which must not fall as it drains (compared over 10-30 % and 60-80 % of the queue, both under the same load). Target: streamed-run overhead p50 during ingest <= 2x idle.
//
//   node --import tsx bench/load/ingest-interference.ts
//   BENCH_FILES=20000 (default 5000)  BENCH_PAIRS=200 (idle samples, half before and half after the ingest)
//   BENCH_DATABASE=postgres

const FILES = Number(process.env.BENCH_FILES ?? 5000);
const PAIRS = Number(process.env.BENCH_PAIRS ?? 200);
const DATABASE = process.env.BENCH_DATABASE === 'postgres' ? 'postgres' : 'sqlite';
const BATCH = 10_000;


function timed(fn: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  return fn().then(() => performance.now() - started);
}


/** Streamed-run overhead and GET latency samples, until `until` says stop (at least `min` pairs). */
async function sample(run: () => Promise<number>, direct: () => Promise<number>, get: () => Promise<number>, until: (n: number) => boolean) {
  const overhead: number[] = [];
  const gets: number[] = [];
  for (let i = 0; !until(i); i++) {
    const a = await run();
    const b = await direct();
    overhead.push(a - b);
    gets.push(await get());
  }
  return { overhead, gets };
}

const summary = (xs: number[]) => ({ n: xs.length, p50: round(median(xs)), p90: round(percentile(xs, 90)) });
const round = (x: number) => Math.round(x * 100) / 100;

async function main() {
  const upstream = await startChatUpstream({ record: false });
  const database: Record<string, string> = DATABASE === 'postgres' ? { DATABASE_URL: await createTestDatabase() } : {};
  const server = await spawnServer({ OPENAI_BASE_URL: upstream.baseURL, OPENAI_API_KEY: 'bench', ASSISTD_CODE_POOL_SIZE: '0', LOG_LEVEL: 'warn', ...database });
  try {
    const assistant = (await call(`${server.url}/v1/assistants`, 'POST', { model: 'gpt-4o-mini' })).body as { id: string };
    const question = 'Say something short about benchmarks please';
    const run = () => streamPost(`${server.url}/v1/threads/runs`, { assistant_id: assistant.id, stream: true, thread: { messages: [{ role: 'user', content: question }] } });
    const direct = () => streamPost(`${upstream.baseURL}/chat/completions`, { model: 'gpt-4o-mini', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: question }] });
    const get = () => timed(() => call(`${server.url}/v1/assistants/${assistant.id}`, 'GET'));

    console.log(`uploading ${FILES} files...`);
    const fileIds = await uploadRecords(server.url, FILES, 997);
    await sample(run, direct, get, (i) => i >= 30);
    // The idle baseline is sampled before and after the ingest: on a shared machine the load drifts meanwhile.
    const idleBefore = await sample(run, direct, get, (i) => i >= PAIRS / 2);

    const vs = (await call(`${server.url}/v1/vector_stores`, 'POST', { name: 'bench' })).body as { id: string };
    const cpuBefore = processCpuMs(server.pid);
    for (let i = 0; i < fileIds.length; i += BATCH) {
      await call(`${server.url}/v1/vector_stores/${vs.id}/file_batches`, 'POST', { file_ids: fileIds.slice(i, i + BATCH) });
    }
    const started = performance.now();
    // Progress is sampled beside the load, so the ingest rate over the first and the last fifth of the queue is known.
    const progress: Array<{ ms: number; done: number }> = [{ ms: 0, done: 0 }];
    let done = 0;
    const poller = setInterval(async () => {
      const counts = ((await call(`${server.url}/v1/vector_stores/${vs.id}`, 'GET')).body as { file_counts: { completed: number; failed: number } }).file_counts;
      done = counts.completed + counts.failed;
      progress.push({ ms: performance.now() - started, done });
    }, 500);
    console.log('measuring while the batch ingests...');
    const during = await sample(run, direct, get, () => done >= FILES * 0.9);
    while (done < FILES) await new Promise((r) => setTimeout(r, 200));
    clearInterval(poller);
    const ingestMs = performance.now() - started;
    const cpuAfter = processCpuMs(server.pid);
    await new Promise((r) => setTimeout(r, 1000));
    const idleAfter = await sample(run, direct, get, (i) => i >= PAIRS / 2);
    const idle = { overhead: [...idleBefore.overhead, ...idleAfter.overhead], gets: [...idleBefore.gets, ...idleAfter.gets] };

    const rateOver = (from: number, to: number) => {
      const a = progress.find((p) => p.done >= from) ?? progress[0]!;
      const b = progress.find((p) => p.done >= to) ?? progress.at(-1)!;
      return round(((b.done - a.done) / Math.max(1, b.ms - a.ms)) * 1000);
    };
    const results = {
      database: DATABASE,
      files: FILES,
      idle: {
        streamed_run_overhead_ms: summary(idle.overhead),
        get_ms: summary(idle.gets),
        before_overhead_p50: round(median(idleBefore.overhead)),
        after_overhead_p50: round(median(idleAfter.overhead)),
      },
      during_ingest: { streamed_run_overhead_ms: summary(during.overhead), get_ms: summary(during.gets) },
      overhead_ratio_p50: round(median(during.overhead) / median(idle.overhead)),
      get_ratio_p50: round(median(during.gets) / median(idle.gets)),
      ingest: {
        seconds: round(ingestMs / 1000),
        files_per_s: round((FILES / ingestMs) * 1000),
        // Both windows are under the same API load (sampling stops at 90 %): early in the queue and late in it.
        early_files_per_s: rateOver(FILES * 0.1, FILES * 0.3),
        late_files_per_s: rateOver(FILES * 0.6, FILES * 0.8),
        server_cpu_ms_per_file: cpuBefore !== undefined && cpuAfter !== undefined ? round((cpuAfter - cpuBefore) / FILES) : null,
      },
      target: 'during-ingest streamed-run overhead p50 <= 2x idle',
      met: median(during.overhead) <= 2 * median(idle.overhead),
    };
    console.table({
      'run overhead p50 (ms)': { idle: results.idle.streamed_run_overhead_ms.p50, during: results.during_ingest.streamed_run_overhead_ms.p50, ratio: results.overhead_ratio_p50 },
      'GET p50 (ms)': { idle: results.idle.get_ms.p50, during: results.during_ingest.get_ms.p50, ratio: results.get_ratio_p50 },
      'ingest files/s (10-30 %, 60-80 % of the queue)': { idle: results.ingest.early_files_per_s, during: results.ingest.late_files_per_s, ratio: round(results.ingest.late_files_per_s / results.ingest.early_files_per_s) },
    });
    // Under the API load throughout: ingestion yields to it, so this is longer than on an idle server.
    console.log(`whole ingest: ${results.ingest.seconds} s, ${results.ingest.files_per_s} files/s, ${results.ingest.server_cpu_ms_per_file} ms server CPU per file (runs included)`);
    writeResults(`ingest-interference-${DATABASE}`, results);
  } finally {
    await server.stop();
    await upstream.close();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
