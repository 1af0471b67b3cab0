import { toFile } from 'openai';
import { createStoredScriptSource } from '../src/engine/stored-script-source.js';
import { DEFAULT_PROJECT } from '../src/http/auth.js';
import { createModelRegistry } from '../src/providers/registry.js';
import { createSearchIndex } from '../src/search/create-search-index.js';
import { embedQueries } from '../src/search/embed-queries.js';
import { contentTerms, rewriteQuery } from '../src/search/query-terms.js';
import { providersConfig } from '../src/server.js';
import { createTestDatabase } from '../test/support/postgres.js';
import { startTestServer } from '../test/support/server.js';
import { loadScifact, ndcgAt, recallAt, scifactDir, type ScifactClaim } from './scifact.js';
import { median, percentile, writeResults } from './support.js';

// Search quality on BEIR SciFact (train claims): every abstract is uploaded as a file and ingested into one vector
// store through the API of a real server; each claim is then searched with the function behind
// `POST /vector_stores/{id}/search` (the endpoint caps results at 50; recall@100 needs 100). Lexical unless an
// embedding model is configured (ASSISTD_EMBEDDING_*). Target: nDCG@10 >= 0.69 lexical on SQLite.
//
// BENCH_QUERIES limits the claims searched (all 809 by default); BENCH_DATABASE=postgres runs on a private
// Postgres cluster; BENCH_RANKER picks ranking_options.ranker; BENCH_SCIFACT_DIR points at the data;
// ASSISTD_SEARCH_LANGUAGE (like every ASSISTD_ setting) reaches the server.

const DATABASE = process.env.BENCH_DATABASE === 'postgres' ? 'postgres' : 'sqlite';
const QUERIES = Number(process.env.BENCH_QUERIES ?? Infinity);
const RANKER = process.env.BENCH_RANKER ?? 'auto';
const LANGUAGE = process.env.ASSISTD_SEARCH_LANGUAGE || 'english';
const UPLOAD_CONCURRENCY = 8;
// Alternatives measured on the same store after the main run (quality only), comma-separated: `ranker-none`,
// `threshold-<0..1>` (score_threshold), `split` (each claim as two queries, each half of its keywords, as a model
// sending several shorter queries), `rewrite` (the claim and its rewrite_query keywords as two queries),
// `plus-short` (the claim and a short query of its first three keywords), `files` (the first 10 and 100 distinct
// files, each at its best passage, out of up to 5 times as many passages: what ranking files instead of passages
// would find when files have several chunks).
const VARIANTS = (process.env.BENCH_VARIANTS ?? '').split(',').filter(Boolean);
// How many times each abstract's title is written above its text (1): 2 measures what weighting titles would do.
const TITLE_REPEAT = Number(process.env.BENCH_TITLE_REPEAT ?? 1);
// A static chunk size in tokens (overlap a quarter of it) instead of auto, whose 800 tokens hold any abstract whole:
// smaller chunks measure how passages of one file compete (results are passages; a file counts at its best one).
const CHUNK_TOKENS = process.env.BENCH_CHUNK_TOKENS ? Number(process.env.BENCH_CHUNK_TOKENS) : undefined;

type SearchOptions = { ranker?: string; scoreThreshold?: number };
interface Variant {
  options?: SearchOptions;
  /** Results searched for to find 10 (and 100) distinct files, instead of 10 (100) passages. */
  files?: boolean;
  queries?: (claim: string) => string[];
}

function variant(name: string): Variant {
  if (name === 'ranker-none') return { options: { ranker: 'none' } };
  if (name === 'files') return { files: true };
  const threshold = /^threshold-([0-9.]+)$/.exec(name);
  if (threshold) return { options: { scoreThreshold: Number(threshold[1]) } };
  if (name === 'split') {
    return {
      queries: (claim) => {
        const terms = contentTerms(claim);
        const half = Math.ceil(terms.length / 2);
        return [terms.slice(0, half).join(' '), terms.slice(half).join(' ')].filter(Boolean);
      },
    };
  }
  if (name === 'rewrite') return { queries: (claim) => [claim, rewriteQuery(claim)] };
  if (name === 'plus-short') return { queries: (claim) => [claim, contentTerms(claim).slice(0, 3).join(' ')] };
  throw new Error(`unknown BENCH_VARIANTS entry ${name}`);
}

async function sequence<T>(tasks: Array<() => Promise<T>>): Promise<T[]> {
  const out: T[] = [];
  for (const task of tasks) out.push(await task());
  return out;
}

const { docs, claims } = loadScifact(scifactDir(process.env.BENCH_SCIFACT_DIR));
const embeddingModel = process.env.ASSISTD_EMBEDDING_MODEL || 'none';
const mode = embeddingModel === 'none' ? 'lexical' : 'hybrid';
const env = Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined));
const server = await startTestServer({
  ...env,
  ASSISTD_EMBEDDING_MODEL: embeddingModel,
  ...(DATABASE === 'postgres' ? { DATABASE_URL: await createTestDatabase() } : {}),
});
const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;

try {
  const client = server.openai();
  const started = performance.now();
  const fileIds = new Array<string>(docs.length);
  const docOf = new Map<string, string>();
  let next = 0;
  await Promise.all(
    Array.from({ length: UPLOAD_CONCURRENCY }, async () => {
      while (next < docs.length) {
        const i = next++;
        const doc = docs[i]!;
        const file = await client.files.create({ file: await toFile(Buffer.from(`${`${doc.title}\n`.repeat(TITLE_REPEAT)}\n${doc.text}`), `${doc.id}.txt`), purpose: 'assistants' });
        fileIds[i] = file.id;
        docOf.set(file.id, doc.id);
      }
    }),
  );
  const uploadSeconds = (performance.now() - started) / 1000;
  const vs = await client.vectorStores.create({ name: 'scifact' });
  const ingestStarted = performance.now();
  const chunking = CHUNK_TOKENS ? { chunking_strategy: { type: 'static' as const, static: { max_chunk_size_tokens: CHUNK_TOKENS, chunk_overlap_tokens: Math.floor(CHUNK_TOKENS / 4) } } } : {};
  await client.vectorStores.fileBatches.create(vs.id, { file_ids: fileIds, ...chunking });
  let counts;
  for (;;) {
    counts = (await client.vectorStores.retrieve(vs.id)).file_counts;
    if (counts.in_progress === 0 && counts.total === fileIds.length) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  const ingestSeconds = (performance.now() - ingestStarted) / 1000;

  const index = createSearchIndex(server.store);
  const embedder = createModelRegistry(providersConfig(server.config), { scriptSource: createStoredScriptSource(server.store) }).embeddingModel();
  // As the endpoint does: embed the queries (when a model exists), then search. Returns doc ids, best first.
  const search = async (queries: string[], maxResults: number, options: SearchOptions = {}) => {
    const embedded = await embedQueries(embedder, queries);
    const hits = await index.search(DEFAULT_PROJECT, { vectorStoreIds: [vs.id], queries, ...embedded.query, maxResults, ranker: RANKER, ...options });
    return [...new Set(hits.map((h) => docOf.get(h.fileId)!))];
  };
  const asked: ScifactClaim[] = claims.slice(0, Math.min(QUERIES, claims.length));
  for (const c of asked.slice(0, 10)) await search([c.claim], 10); // warm-up: JIT and the store's snapshot
  const samples: number[] = [];
  const quality = async (variant: Variant = {}) => {
    const sums = { ndcg10: 0, recall10: 0, recall100: 0 };
    for (const c of asked) {
      const queries = variant.queries?.(c.claim) ?? [c.claim];
      const t = performance.now();
      const depth = variant.files ? 5 : 1;
      const top = (await search(queries, 10 * depth, variant.options)).slice(0, 10);
      samples.push(performance.now() - t);
      sums.ndcg10 += ndcgAt(10, top, c.relevant);
      sums.recall10 += recallAt(10, top, c.relevant);
      sums.recall100 += recallAt(100, (await search(queries, 100 * depth, variant.options)).slice(0, 100), c.relevant);
    }
    const n = asked.length;
    return { ndcgAt10: round(sums.ndcg10 / n, 4), recallAt10: round(sums.recall10 / n, 4), recallAt100: round(sums.recall100 / n, 4) };
  };
  const measured = await quality();
  const variants = Object.fromEntries(await sequence(VARIANTS.map((name) => async () => [name, await quality(variant(name))] as const)));
  if (VARIANTS.length > 0) console.table(variants);
  const n = asked.length;
  const results = {
    database: DATABASE,
    mode,
    ranker: RANKER,
    language: LANGUAGE,
    ...(TITLE_REPEAT === 1 ? {} : { titleRepeat: TITLE_REPEAT }),
    ...(CHUNK_TOKENS ? { chunkTokens: CHUNK_TOKENS } : {}),
    docs: docs.length,
    claims: n,
    completed: counts.completed,
    failed: counts.failed,
    ...measured,
    searchP50Ms: round(median(samples.slice(0, n))),
    searchP95Ms: round(percentile(samples.slice(0, n), 95)),
    uploadSeconds: round(uploadSeconds, 1),
    ingestSeconds: round(ingestSeconds, 1),
  };
  console.table(results);
  if (VARIANTS.length > 0) Object.assign(results, { variants });
  writeResults(['retrieval', DATABASE === 'postgres' ? 'postgres' : '', mode === 'hybrid' ? 'hybrid' : '', LANGUAGE === 'english' ? '' : LANGUAGE].filter(Boolean).join('-'), results);
} finally {
  await server.close();
}
