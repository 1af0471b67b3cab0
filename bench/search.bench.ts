import OpenAI, { toFile } from 'openai';
import { startChatUpstream, type ChatUpstream } from '../test/support/chat-upstream.js';
import { buildFixture, type FixtureKind } from '../test/support/fixtures/write-fixture.js';
import { createTestDatabase } from '../test/support/postgres.js';
import { rssMb, seedIndex, topicQuery } from './search-scale.js';
import { call, median, percentile, spawnServer, writeResults } from './support.js';

// file_search through the API of a server in its own process, on SQLite and Postgres, lexical and hybrid (the
// local embeddings server: a hashed bag of words, 384 dimensions). Two kinds of size:
// - BENCH_SEARCH_SIZES (default 1000): a generated corpus of mixed formats and sizes, each file holding one known
//   fact, uploaded and ingested through a file batch (ingest time), then searched;
// - BENCH_SEARCH_SEEDED (default 10000; add 100000 for the scale target): the index of a store written directly
//   (see search-scale.ts), then searched.
// Searches ask for a file's fact (`What is the access key for record R…?`, recall@5 counted) and for three
// topical words; the server's RSS is read after them. Targets (issue 17): at 100,000 files, lexical p50 <= 30 ms,
// hybrid p50 <= 60 ms; 10,000 small files ingested lexically in <= 2 minutes. BENCH_DATABASE=sqlite or postgres
// runs one database only.

const list = (value: string) => value.split(',').filter(Boolean);
const SIZES = list(process.env.BENCH_SEARCH_SIZES ?? '1000').map(Number);
const SEEDED = list(process.env.BENCH_SEARCH_SEEDED ?? '10000').map(Number);
const DATABASES = list(process.env.BENCH_DATABASE ?? 'sqlite,postgres') as Array<'sqlite' | 'postgres'>;
const DIMENSIONS = 384;
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


type Mode = 'lexical' | 'hybrid';

async function timedSearches(ask: (k: number) => Promise<any>, check?: (k: number, body: any) => boolean) {
  const samples: number[] = [];
  let found = 0;
  for (let k = 0; k < 10; k++) await ask(k + SEARCHES); // warm-up: JIT, and the store's vectors in memory
  for (let k = 0; k < SEARCHES; k++) {
    const started = performance.now();
    const res = await ask(k);
    samples.push(performance.now() - started);
    if (res.status !== 200) throw new Error(`search failed: ${res.status} ${JSON.stringify(res.body)}`);
    if (check?.(k, res.body)) found++;
  }
  return { p50Ms: round(median(samples)), p95Ms: round(percentile(samples, 95)), ...(check ? { recallAt5: found / SEARCHES } : {}) };
}

/** Exact-fact searches (recall@5 of the fact's file) and topical ones; `fileOf` maps a corpus index to its file id. */
async function searchRun(url: string, storeId: string, size: number, fileOf: (i: number) => string) {
  const search = (query: string) => call(`${url}/v1/vector_stores/${storeId}/search`, 'POST', { query, max_num_results: 5 });
  const record = (k: number) => pick(k, 8) % size;
  const fact = await timedSearches(
    (k) => search(`What is the access key for record ${keyOf(record(k))}?`),
    (k, body) => (body.data as Array<{ file_id: string; content: Array<{ text: string }> }>).some((h) => h.file_id === fileOf(record(k)) && h.content.some((c) => c.text.includes(valueOf(record(k))))),
  );
  const topic = await timedSearches((k) => search(topicQuery(k)));
  return { fact, topic };
}

async function runOnce(database: 'sqlite' | 'postgres', size: number, mode: Mode, seeded: boolean) {
  let upstream: ChatUpstream | undefined;
  if (mode === 'hybrid') upstream = await startChatUpstream({ record: false });
  const databaseUrl = database === 'postgres' ? await createTestDatabase() : undefined;
  // Empty values switch off any provider the environment configures: lexical means no embedding model at all.
  const server = await spawnServer({
    OPENAI_BASE_URL: upstream?.baseURL ?? '',
    OPENAI_API_KEY: upstream ? 'sk-bench' : '',
    AZURE_OPENAI_ENDPOINT: '',
    ASSISTD_EMBEDDING_DIMENSIONS: String(DIMENSIONS),
    DATABASE_URL: databaseUrl ?? '',
  });
  try {
    const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'none', maxRetries: 2 });
    let corpus: { seedSeconds?: number; ingestSeconds?: number; [field: string]: number | undefined } = {};
    let storeId: string;
    let fileOf: (i: number) => string;
    if (seeded) {
      storeId = (await client.vectorStores.create({ name: `bench ${size}` })).id;
      const embedding = mode === 'hybrid' ? { key: `text-embedding-3-large:${DIMENSIONS}`, dimensions: DIMENSIONS } : undefined;
      const fact = (i: number) => `The access key for record ${keyOf(i)} is ${valueOf(i)}.`;
      const seed = await seedIndex({ files: size, vectorStoreId: storeId, fact, dataDir: server.dataDir, ...(databaseUrl ? { databaseUrl } : {}), ...(embedding ? { embedding } : {}) });
      corpus = { chunks: seed.chunks, seedSeconds: round(seed.seconds) };
      fileOf = (i) => `file-seed${String(i).padStart(7, '0')}`;
    } else {
      const upload = await uploadCorpus(client, size);
      const ingested = await ingest(client, upload.ids);
      storeId = ingested.storeId;
      fileOf = (i) => upload.ids[i]!;
      corpus = {
        corpusMB: round(upload.bytes / 1e6),
        uploadSeconds: round(upload.seconds),
        ingestSeconds: round(ingested.seconds),
        filesPerSecond: round(size / ingested.seconds),
        failed: ingested.failed,
      };
    }
    const search = await searchRun(server.url, storeId, size, fileOf);
    const result = { database, files: size, mode, seeded, ...corpus, search, server: rssMb(server.pid) };
    console.log(JSON.stringify(result));
    return result;
  } finally {
    await server.stop();
    await upstream?.close();
  }
}

const round = (n: number) => Math.round(n * 100) / 100;

const results: Array<Awaited<ReturnType<typeof runOnce>>> = [];
for (const database of DATABASES) {
  for (const size of SIZES) for (const mode of ['lexical', 'hybrid'] as const) results.push(await runOnce(database, size, mode, false));
  for (const size of SEEDED) for (const mode of ['lexical', 'hybrid'] as const) results.push(await runOnce(database, size, mode, true));
}
console.table(
  results.map((r) => ({
    db: r.database,
    files: r.files,
    mode: r.mode,
    how: r.seeded ? 'seeded' : 'api',
    'ingest s': r.seeded ? r.seedSeconds : r.ingestSeconds,
    'fact p50/p95 ms': `${r.search.fact.p50Ms} / ${r.search.fact.p95Ms}`,
    'topic p50/p95 ms': `${r.search.topic.p50Ms} / ${r.search.topic.p95Ms}`,
    'recall@5': r.search.fact.recallAt5,
    'RSS / peak MB': `${r.server.rssMb} / ${r.server.peakMb}`,
  })),
);
const at100k = results.filter((r) => r.files >= 100_000);
const targets = {
  'lexical p50 <= 30 ms at 100,000 files': at100k.length ? at100k.filter((r) => r.mode === 'lexical').every((r) => r.search.fact.p50Ms <= 30 && r.search.topic.p50Ms <= 30) : 'not run',
  'hybrid p50 <= 60 ms at 100,000 files': at100k.length ? at100k.filter((r) => r.mode === 'hybrid').every((r) => r.search.fact.p50Ms <= 60 && r.search.topic.p50Ms <= 60) : 'not run',
  'recall@5 >= 0.95 on exact keys': results.every((r) => (r.search.fact.recallAt5 ?? 0) >= 0.95),
};
console.table(targets);
writeResults('search', { results, targets });
