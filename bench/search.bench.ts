import OpenAI, { toFile } from 'openai';
import { startChatUpstream, type ChatUpstream } from '../test/support/chat-upstream.js';
import { buildFixture, type FixtureKind } from '../test/support/fixtures/write-fixture.js';
import { call, median, percentile, spawnServer, writeResults } from './support.js';

// file_search at 1,000 and 10,000 files through the API of a server in its own process: upload a generated
// corpus of mixed formats and sizes, each file holding one known fact; time its ingestion into a vector store
// without embeddings and with the local embeddings server; then time searches and count how often the fact's
// file is in the top 5. Targets: 10,000 files ingested lexically in <= 5 minutes; search p50 <= 30 ms at 10,000
// files; recall@5 >= 0.95 on exact-key queries.

const SIZES = (process.env.BENCH_SEARCH_SIZES ?? '1000,10000').split(',').map(Number);
const SEARCHES = Number(process.env.BENCH_SEARCHES ?? 300);
const UPLOAD_CONCURRENCY = 8;

// Formats in rough proportion to what people upload; the binary ones cost the most to parse.
const FORMATS: FixtureKind[] = ['txt', 'txt', 'txt', 'md', 'md', 'html', 'json', 'csv', 'py', 'js', 'pdf', 'pdf', 'docx', 'docx', 'pptx', 'xlsx'];

/** Deterministic per-file choices, so runs compare. */
function pick(i: number, salt: number): number {
  let h = Math.imul(i + 1, 2654435761) ^ Math.imul(salt, 40503);
  h = Math.imul(h ^ (h >>> 15), 2246822519);
  return (h ^ (h >>> 13)) >>> 0;
}

/** Mostly short files, some long, a few very long: words of filler around the fact. */
function wordsFor(i: number): number {
  const r = pick(i, 1) % 100;
  if (r < 80) return 100 + (pick(i, 2) % 400);
  if (r < 97) return 1000 + (pick(i, 3) % 2000);
  return 8000;
}

const keyOf = (i: number) => `R${100000 + i}`;
const valueOf = (i: number) => `K${(pick(i, 4) % 90000) + 10000}-${'ABCDEFGHJKLMNPQRSTUVWXYZ'[pick(i, 5) % 24]}`;

function corpusFile(i: number) {
  const kind = FORMATS[pick(i, 6) % FORMATS.length]!;
  const { bytes, ext } = buildFixture(kind, `The access key for record ${keyOf(i)} is ${valueOf(i)}.`, { words: wordsFor(i), seed: i + 1 });
  return { name: `doc-${i}${ext}`, bytes };
}

async function uploadCorpus(client: OpenAI, size: number): Promise<{ ids: string[]; bytes: number; seconds: number }> {
  const ids = new Array<string>(size);
  let bytes = 0;
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: UPLOAD_CONCURRENCY }, async () => {
      while (next < size) {
        const i = next++;
        const file = corpusFile(i);
        bytes += file.bytes.length;
        ids[i] = (await client.files.create({ file: await toFile(Buffer.from(file.bytes), file.name), purpose: 'assistants' })).id;
      }
    }),
  );
  return { ids, bytes, seconds: (performance.now() - started) / 1000 };
}

async function ingest(client: OpenAI, ids: string[]): Promise<{ storeId: string; seconds: number; completed: number; failed: number }> {
  const vs = await client.vectorStores.create({ name: `bench ${ids.length}` });
  const started = performance.now();
  await client.vectorStores.fileBatches.create(vs.id, { file_ids: ids });
  for (;;) {
    const current = await client.vectorStores.retrieve(vs.id);
    if (current.file_counts.in_progress === 0 && current.file_counts.total === ids.length) {
      return { storeId: vs.id, seconds: (performance.now() - started) / 1000, completed: current.file_counts.completed, failed: current.file_counts.failed };
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function searchRun(url: string, storeId: string, ids: string[]) {
  const samples: number[] = [];
  let found = 0;
  const ask = (i: number) => call(`${url}/v1/vector_stores/${storeId}/search`, 'POST', { query: `What is the access key for record ${keyOf(i)}?`, max_num_results: 5 });
  for (let i = 0; i < 10; i++) await ask(pick(i, 7) % ids.length); // warm-up: JIT and the store's vectors in memory
  for (let k = 0; k < SEARCHES; k++) {
    const i = pick(k, 8) % ids.length;
    const started = performance.now();
    const res = await ask(i);
    samples.push(performance.now() - started);
    if (res.status !== 200) throw new Error(`search failed: ${res.status} ${JSON.stringify(res.body)}`);
    const hits = res.body.data as Array<{ file_id: string; content: Array<{ text: string }> }>;
    if (hits.some((h) => h.file_id === ids[i] && h.content.some((c) => c.text.includes(valueOf(i))))) found++;
  }
  return { p50Ms: round(median(samples)), p95Ms: round(percentile(samples, 95)), recallAt5: found / SEARCHES };
}

async function runOnce(size: number, mode: 'lexical' | 'hybrid') {
  let upstream: ChatUpstream | undefined;
  if (mode === 'hybrid') upstream = await startChatUpstream({ record: false });
  // Empty values switch off any provider the environment configures: lexical means no embedding model at all.
  const server = await spawnServer({ OPENAI_BASE_URL: upstream?.baseURL ?? '', OPENAI_API_KEY: upstream ? 'sk-bench' : '', AZURE_OPENAI_ENDPOINT: '' });
  try {
    const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'none', maxRetries: 2 });
    const upload = await uploadCorpus(client, size);
    const ingested = await ingest(client, upload.ids);
    const search = await searchRun(server.url, ingested.storeId, upload.ids);
    const result = {
      files: size,
      mode,
      corpusMB: round(upload.bytes / 1e6),
      uploadSeconds: round(upload.seconds),
      ingestSeconds: round(ingested.seconds),
      filesPerSecond: round(size / ingested.seconds),
      mbPerSecond: round(upload.bytes / 1e6 / ingested.seconds),
      completed: ingested.completed,
      failed: ingested.failed,
      search,
    };
    console.log(JSON.stringify(result));
    return result;
  } finally {
    await server.stop();
    await upstream?.close();
  }
}

const round = (n: number) => Math.round(n * 100) / 100;

const results: Array<Awaited<ReturnType<typeof runOnce>>> = [];
for (const size of SIZES) {
  for (const mode of ['lexical', 'hybrid'] as const) results.push(await runOnce(size, mode));
}
const largest = Math.max(...SIZES);
const at = (mode: string) => results.find((r) => r.files === largest && r.mode === mode)!;
const targets = {
  [`ingest ${largest} files lexically <= 300 s`]: at('lexical').ingestSeconds <= 300,
  [`search p50 <= 30 ms at ${largest} files (lexical)`]: at('lexical').search.p50Ms <= 30,
  [`search p50 <= 30 ms at ${largest} files (hybrid)`]: at('hybrid').search.p50Ms <= 30,
  'recall@5 >= 0.95 on exact keys': results.every((r) => r.search.recallAt5 >= 0.95),
};
console.table(results.map((r) => ({ files: r.files, mode: r.mode, MB: r.corpusMB, 'ingest s': r.ingestSeconds, 'files/s': r.filesPerSecond, 'MB/s': r.mbPerSecond, failed: r.failed, 'p50 ms': r.search.p50Ms, 'p95 ms': r.search.p95Ms, 'recall@5': r.search.recallAt5 })));
console.table(targets);
writeResults('search', { results, targets });
