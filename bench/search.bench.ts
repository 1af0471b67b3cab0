import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { startChatUpstream, type ChatUpstream } from '../test/support/chat-upstream.js';
import { createTestDatabase } from '../test/support/postgres.js';
import { factOf, ingest, keyOf, pick, uploadCorpus, valueOf, type CorpusKind } from './search-corpus.js';
import { rssMb, seedIndex, topicQuery } from './search-scale.js';
import { call, median, percentile, processCpuMs, spawnServer, writeResults } from './support.js';

// file_search through the API of a server in its own process, on SQLite and Postgres, lexical and hybrid (the
// local embeddings server: a hashed bag of words, 384 dimensions). Three kinds of store:
// - BENCH_SEARCH_SIZES (default 1000): mixed formats and sizes uploaded and ingested through a file batch;
// - BENCH_SEARCH_SMALL (default none; 10000 for the ingest target): plain-text files of about 1 KB, lexical only;
// - BENCH_SEARCH_SEEDED (default 10000; add 100000 for the scale target): the index of a store written directly
//   (see search-scale.ts) with vectors, once for both modes. BENCH_SEARCH_DATA=<dir> keeps SQLite ones there and
//   reuses them in later runs.
// Searches ask for a file's fact (`What is the access key for record R…?`, recall@5 counted) and for three
// topical words; the server's RSS is read after them. BENCH_BASELINE=<checkout> measures that checkout's server
// too, on the same stores, alternating over BENCH_ROUNDS rounds (3; 1 without a baseline); medians are reported.
// Targets (issue 17): at 100,000 files, lexical p50 <= 30 ms, hybrid p50 <= 60 ms; 10,000 small files ingested
// lexically in <= 2 minutes. BENCH_DATABASE=sqlite or postgres runs one database only.

const list = (value: string) => value.split(',').filter(Boolean);
const SIZES = list(process.env.BENCH_SEARCH_SIZES ?? '1000').map(Number);
const SMALL = list(process.env.BENCH_SEARCH_SMALL ?? '').map(Number);
const SEEDED = list(process.env.BENCH_SEARCH_SEEDED ?? '10000').map(Number);
const DATABASES = list(process.env.BENCH_DATABASE ?? 'sqlite,postgres') as Database[];
const MODES = list(process.env.BENCH_SEARCH_MODES ?? 'lexical,hybrid') as Mode[];
const KEEP = process.env.BENCH_SEARCH_DATA;
const BASELINE = process.env.BENCH_BASELINE;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? (BASELINE ? 3 : 1));
const DIMENSIONS = 384;
const EMBEDDING_KEY = `text-embedding-3-large:${DIMENSIONS}`;
const SEARCHES = Number(process.env.BENCH_SEARCHES ?? 300);

type Database = 'sqlite' | 'postgres';
type Mode = 'lexical' | 'hybrid';
type Corpus = CorpusKind | 'seeded';
interface Case {
  database: Database;
  files: number;
  mode: Mode;
  corpus: Corpus;
}
interface Checkout {
  name: 'this' | 'baseline';
  cwd?: string;
}
/** A store to search: where its server keeps its data, and how a corpus index maps to a file id. */
interface Prepared {
  dataDir: string;
  databaseUrl?: string;
  storeId: string;
  fileOf: (i: number) => string;
  info: Record<string, number>;
}

const CHECKOUTS: Checkout[] = [{ name: 'this' }, ...(BASELINE ? [{ name: 'baseline' as const, cwd: BASELINE }] : [])];

// Empty values switch off any provider the environment configures: lexical means no embedding model at all.
const serverEnv = (upstream: ChatUpstream | undefined, databaseUrl: string | undefined) => ({
  OPENAI_BASE_URL: upstream?.baseURL ?? '',
  OPENAI_API_KEY: upstream ? 'sk-bench' : '',
  AZURE_OPENAI_ENDPOINT: '',
  ASSISTD_EMBEDDING_DIMENSIONS: String(DIMENSIONS),
  DATABASE_URL: databaseUrl ?? '',
});

async function withServer<T>(env: Record<string, string>, dataDir: string, checkout: Checkout, fn: (url: string, pid: number) => Promise<T>): Promise<T> {
  const server = await spawnServer(env, { dataDir, ...(checkout.cwd ? { cwd: checkout.cwd } : {}) });
  try {
    return await fn(server.url, server.pid);
  } finally {
    await server.stop();
  }
}

const clientOf = (url: string) => new OpenAI({ baseURL: `${url}/v1`, apiKey: 'none', maxRetries: 2 });

const seededStores = new Map<string, Promise<Prepared>>();

/**
 * A seeded store with vectors, written once per database and size (with this checkout's server) and searched by
 * every mode, round and checkout: a server without an embedding model searches it lexically.
 */
function prepareSeeded(c: Case): Promise<Prepared> {
  const key = `${c.database}-${c.files}`;
  if (!seededStores.has(key)) seededStores.set(key, seed(c, KEEP && c.database === 'sqlite' ? join(KEEP, key) : undefined));
  return seededStores.get(key)!;
}

async function seed(c: Case, kept: string | undefined): Promise<Prepared> {
  const dataDir = kept ?? mkdtempSync(join(tmpdir(), 'assistd-bench-'));
  const marker = join(dataDir, 'bench-store.json');
  const fileOf = (i: number) => `file-seed${String(i).padStart(7, '0')}`;
  if (kept && existsSync(marker)) return { dataDir, fileOf, ...JSON.parse(readFileSync(marker, 'utf8')) };
  mkdirSync(dataDir, { recursive: true });
  const databaseUrl = c.database === 'postgres' ? await createTestDatabase() : undefined;
  return withServer(serverEnv(undefined, databaseUrl), dataDir, { name: 'this' }, async (url) => {
    const storeId = (await clientOf(url).vectorStores.create({ name: `bench ${c.files}` })).id;
    const embedding = { key: EMBEDDING_KEY, dimensions: DIMENSIONS };
    const seeded = await seedIndex({ files: c.files, vectorStoreId: storeId, fact: factOf, dataDir, embedding, ...(databaseUrl ? { databaseUrl } : {}) });
    const stored = { storeId, info: { chunks: seeded.chunks, seedSeconds: round(seeded.seconds) }, ...(databaseUrl ? { databaseUrl } : {}) };
    if (kept) writeFileSync(marker, JSON.stringify(stored));
    return { dataDir, fileOf, ...stored };
  });
}

async function timedSearches(pid: number, ask: (k: number) => Promise<any>, check?: (k: number, body: any) => boolean) {
  const samples: number[] = [];
  let found = 0;
  for (let k = 0; k < 10; k++) await ask(k + SEARCHES); // warm-up: JIT, and the store's vectors in memory
  const cpuBefore = processCpuMs(pid) ?? 0;
  for (let k = 0; k < SEARCHES; k++) {
    const started = performance.now();
    const res = await ask(k);
    samples.push(performance.now() - started);
    if (res.status !== 200) throw new Error(`search failed: ${res.status} ${JSON.stringify(res.body)}`);
    if (check?.(k, res.body)) found++;
  }
  const cpuMs = round(((processCpuMs(pid) ?? 0) - cpuBefore) / SEARCHES);
  return { p50Ms: round(median(samples)), p95Ms: round(percentile(samples, 95)), cpuMs, ...(check ? { recallAt5: found / SEARCHES } : {}) };
}

/** Exact-fact searches (recall@5 of the fact's file) and topical ones, then the server's memory. */
async function searchRun(url: string, pid: number, storeId: string, size: number, fileOf: (i: number) => string) {
  const search = (query: string) => call(`${url}/v1/vector_stores/${storeId}/search`, 'POST', { query, max_num_results: 5 });
  const record = (k: number) => pick(k, 8) % size;
  const fact = await timedSearches(
    pid,
    (k) => search(`What is the access key for record ${keyOf(record(k))}?`),
    (k, body) => (body.data as Array<{ file_id: string; content: Array<{ text: string }> }>).some((h) => h.file_id === fileOf(record(k)) && h.content.some((c) => c.text.includes(valueOf(record(k))))),
  );
  const topic = await timedSearches(pid, (k) => search(topicQuery(k)));
  return { fact, topic, server: rssMb(pid) };
}

/** One round of a case on one checkout: a seeded store is searched; an uploaded corpus is ingested first. */
async function runOnce(c: Case, checkout: Checkout, upstream: ChatUpstream | undefined, seeded: Prepared | undefined) {
  if (seeded) {
    const env = serverEnv(upstream, seeded.databaseUrl);
    const measured = await withServer(env, seeded.dataDir, checkout, (url, pid) => searchRun(url, pid, seeded.storeId, c.files, seeded.fileOf));
    return { ...c, checkout: checkout.name, info: seeded.info, ...measured };
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'assistd-bench-'));
  const databaseUrl = c.database === 'postgres' ? await createTestDatabase() : undefined;
  try {
    return await withServer(serverEnv(upstream, databaseUrl), dataDir, checkout, async (url, pid) => {
      const client = clientOf(url);
      const upload = await uploadCorpus(client, c.corpus as CorpusKind, c.files);
      const ingested = await ingest(client, upload.ids);
      const info: Record<string, number> = {
        corpusMB: round(upload.bytes / 1e6),
        uploadSeconds: round(upload.seconds),
        ingestSeconds: round(ingested.seconds),
        filesPerSecond: round(c.files / ingested.seconds),
        failed: ingested.failed,
      };
      return { ...c, checkout: checkout.name, info, ...(await searchRun(url, pid, ingested.storeId, c.files, (i) => upload.ids[i]!)) };
    });
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

type Result = Awaited<ReturnType<typeof runOnce>>;

async function runCase(c: Case): Promise<Result[]> {
  const upstream = c.mode === 'hybrid' ? await startChatUpstream({ record: false }) : undefined;
  try {
    const seeded = c.corpus === 'seeded' ? await prepareSeeded(c) : undefined;
    const rounds: Result[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      for (const checkout of CHECKOUTS) {
        const result = await runOnce(c, checkout, upstream, seeded);
        console.log(JSON.stringify({ round: r, ...result }));
        rounds.push(result);
      }
    }
    return rounds;
  } finally {
    await upstream?.close();
  }
}

const round = (n: number) => Math.round(n * 100) / 100;

/** Per case and checkout, the median over rounds of each number. */
function summarize(results: Result[]) {
  const groups = new Map<string, Result[]>();
  for (const r of results) {
    const key = `${r.database} ${r.corpus} ${r.files} ${r.mode} ${r.checkout}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  return [...groups.values()].map((rs) => {
    const m = (f: (r: Result) => number | undefined) => round(median(rs.map(f).filter((x): x is number => x !== undefined)));
    const ingestSeconds = m((r) => r.info.ingestSeconds ?? r.info.seedSeconds);
    return {
      db: rs[0]!.database,
      files: rs[0]!.files,
      mode: rs[0]!.mode,
      corpus: rs[0]!.corpus,
      checkout: rs[0]!.checkout,
      'ingest s': ingestSeconds,
      'fact p50/p95 ms': `${m((r) => r.fact.p50Ms)} / ${m((r) => r.fact.p95Ms)}`,
      'topic p50/p95 ms': `${m((r) => r.topic.p50Ms)} / ${m((r) => r.topic.p95Ms)}`,
      'CPU ms/search fact, topic': `${m((r) => r.fact.cpuMs)}, ${m((r) => r.topic.cpuMs)}`,
      'recall@5': m((r) => r.fact.recallAt5),
      'RSS / peak MB': `${m((r) => r.server.rssMb)} / ${m((r) => r.server.peakMb)}`,
      factP50: m((r) => r.fact.p50Ms),
      topicP50: m((r) => r.topic.p50Ms),
    };
  });
}

const cases: Case[] = [];
for (const database of DATABASES) {
  for (const files of SIZES) for (const mode of MODES) cases.push({ database, files, mode, corpus: 'mixed' });
  for (const files of SMALL) cases.push({ database, files, mode: 'lexical', corpus: 'small' });
  for (const files of SEEDED) for (const mode of MODES) cases.push({ database, files, mode, corpus: 'seeded' });
}
const results: Result[] = [];
for (const c of cases) results.push(...(await runCase(c)));
for (const [key, prepared] of seededStores) if (!(KEEP && key.startsWith('sqlite'))) rmSync((await prepared).dataDir, { recursive: true, force: true });
const summary = summarize(results);
console.table(summary.map(({ factP50, topicP50, ...row }) => row));
const mine = summary.filter((s) => s.checkout === 'this');
const at100k = mine.filter((r) => r.files >= 100_000);
const small10k = mine.filter((r) => r.corpus === 'small' && r.files >= 10_000);
const targets = {
  'lexical p50 <= 30 ms at 100,000 files': at100k.some((r) => r.mode === 'lexical') ? at100k.filter((r) => r.mode === 'lexical').every((r) => r.factP50 <= 30 && r.topicP50 <= 30) : 'not run',
  'hybrid p50 <= 60 ms at 100,000 files': at100k.some((r) => r.mode === 'hybrid') ? at100k.filter((r) => r.mode === 'hybrid').every((r) => r.factP50 <= 60 && r.topicP50 <= 60) : 'not run',
  '10,000 small files ingested in <= 120 s': small10k.length ? small10k.every((r) => r['ingest s'] <= 120) : 'not run',
  'recall@5 >= 0.95 on exact keys': mine.every((r) => r['recall@5'] >= 0.95),
};
console.table(targets);
writeResults('search', { results, summary, targets });
