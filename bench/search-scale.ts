import { readFileSync } from 'node:fs';
import { DEFAULT_PROJECT } from '../src/http/auth.js';
import { createStore } from '../src/store/create-store.js';
import type { ChunkInput } from '../src/store/chunks-repo.js';
import { embedText } from '../test/support/chat-upstream.js';

// The large sizes of bench:search: writing 100,000 files through upload, parse and chunk takes most of an hour
// on the 2-core machine and says nothing new about ingestion (the API sizes measure that), so the search index of
// an (empty) API vector store is written directly through the same chunks repository ingestion uses: three
// chunks per file of ~120 words drawn from a Zipf-distributed vocabulary of 30,000 words, one chunk holding the
// file's fact, and for hybrid the 384-dim vector the local embeddings server would return for each chunk.

const VOCABULARY = 30_000;
const CHUNKS_PER_FILE = 3;
const WORDS_PER_CHUNK = 120;
const SEED_CONCURRENCY = 8;

const SYLLABLES = 'ka lo mi ne ru sa te vo xi za bre cla dro fen gir hul jat kem lun mor'.split(' ');

/** The rank-th word of the vocabulary: a pronounceable made-up word, distinct per rank. */
function word(rank: number): string {
  let out = '';
  let n = rank + SYLLABLES.length;
  while (n > 0) {
    out += SYLLABLES[n % SYLLABLES.length];
    n = Math.floor(n / SYLLABLES.length);
  }
  return out;
}

const WORDS = Array.from({ length: VOCABULARY }, (_, i) => word(i));

// Cumulative Zipf weights (s = 1), so a uniform draw picks a rank with probability ~ 1 / rank.
const CUMULATIVE = (() => {
  const c = new Float64Array(VOCABULARY);
  let sum = 0;
  for (let i = 0; i < VOCABULARY; i++) c[i] = sum += 1 / (i + 1);
  for (let i = 0; i < VOCABULARY; i++) c[i]! /= sum;
  return c;
})();

/** A small deterministic generator (mulberry32). */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function zipfWord(r: number): string {
  let lo = 0;
  let hi = VOCABULARY - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (CUMULATIVE[mid]! < r) lo = mid + 1;
    else hi = mid;
  }
  return WORDS[lo]!;
}

function filler(next: () => number, count: number): string {
  const out: string[] = [];
  for (let i = 0; i < count; i++) out.push(zipfWord(next()));
  return out.join(' ');
}

/** A query of three mid-frequency words (ranks 50..2,050): what a topical search over such a corpus looks like. */
export function topicQuery(k: number): string {
  const next = random(0x70c1c + k);
  return [0, 1, 2].map(() => WORDS[50 + Math.floor(next() * 2000)]).join(' ');
}

export interface SeedOptions {
  files: number;
  vectorStoreId: string;
  /** The fact chunk 1 of file i holds. */
  fact: (i: number) => string;
  /** With vectors: the embedding model key the server uses, and their size. */
  embedding?: { key: string; dimensions: number };
  databaseUrl?: string;
  dataDir: string;
}

/** Writes the store's index; returns the seconds it took and the chunks written. */
export async function seedIndex(o: SeedOptions): Promise<{ seconds: number; chunks: number }> {
  const store = createStore({ ...(o.databaseUrl ? { databaseUrl: o.databaseUrl } : {}), dataDir: o.dataDir });
  const started = performance.now();
  let next = 0;
  try {
    await Promise.all(
      Array.from({ length: SEED_CONCURRENCY }, async () => {
        while (next < o.files) {
          const i = next++;
          const rnd = random(i + 1);
          const chunks: ChunkInput[] = Array.from({ length: CHUNKS_PER_FILE }, (_, index) => {
            const text = index === 1 ? `${filler(rnd, 40)} ${o.fact(i)} ${filler(rnd, WORDS_PER_CHUNK - 50)}` : filler(rnd, WORDS_PER_CHUNK);
            const embedding = o.embedding ? Float32Array.from(embedText(text, o.embedding.dimensions)) : null;
            return { index, text, embedding };
          });
          const file = { fileId: `file-seed${String(i).padStart(7, '0')}`, filename: `doc-${i}.txt`, attributes: {} };
          await store.chunks.putFile(DEFAULT_PROJECT, o.vectorStoreId, file, chunks, o.embedding?.key ?? null);
        }
      }),
    );
  } finally {
    await store.close();
  }
  return { seconds: (performance.now() - started) / 1000, chunks: o.files * CHUNKS_PER_FILE };
}

/** Resident and peak resident memory of a process, in MB, from /proc (Linux). */
export function rssMb(pid: number): { rssMb: number; peakMb: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { rssMb: Math.round(kb('VmRSS') / 1024), peakMb: Math.round(kb('VmHWM') / 1024) };
}
