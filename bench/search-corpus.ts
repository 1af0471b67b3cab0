import OpenAI, { toFile } from 'openai';
import { buildFixture, type FixtureKind } from '../test/support/fixtures/write-fixture.js';

// The uploaded corpora of bench:search: each file holds one known fact (`The access key for record R… is K…`),
// uploaded over 8 connections and ingested through one file batch.

const UPLOAD_CONCURRENCY = 8;

// Formats in rough proportion to what people upload; the binary ones cost the most to parse.
const FORMATS: FixtureKind[] = ['txt', 'txt', 'txt', 'md', 'md', 'html', 'json', 'csv', 'py', 'js', 'pdf', 'pdf', 'docx', 'docx', 'pptx', 'xlsx'];

/** Deterministic per-file choices, so runs compare. */
export function pick(i: number, salt: number): number {
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

export const keyOf = (i: number) => `R${100000 + i}`;
export const valueOf = (i: number) => `K${(pick(i, 4) % 90000) + 10000}-${'ABCDEFGHJKLMNPQRSTUVWXYZ'[pick(i, 5) % 24]}`;
export const factOf = (i: number) => `The access key for record ${keyOf(i)} is ${valueOf(i)}.`;

/** `mixed`: formats and sizes as people upload them; `small`: plain-text files of about 1 KB. */
export type CorpusKind = 'mixed' | 'small';

function corpusFile(kind: CorpusKind, i: number) {
  const format = kind === 'small' ? 'txt' : FORMATS[pick(i, 6) % FORMATS.length]!;
  const { bytes, ext } = buildFixture(format, factOf(i), { words: kind === 'small' ? 150 : wordsFor(i), seed: i + 1 });
  return { name: `doc-${i}${ext}`, bytes };
}

export async function uploadCorpus(client: OpenAI, kind: CorpusKind, size: number): Promise<{ ids: string[]; bytes: number; seconds: number }> {
  const ids = new Array<string>(size);
  let bytes = 0;
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: UPLOAD_CONCURRENCY }, async () => {
      while (next < size) {
        const i = next++;
        const file = corpusFile(kind, i);
        bytes += file.bytes.length;
        ids[i] = (await client.files.create({ file: await toFile(Buffer.from(file.bytes), file.name), purpose: 'assistants' })).id;
      }
    }),
  );
  return { ids, bytes, seconds: (performance.now() - started) / 1000 };
}

/** One file batch of all `ids` into a new store, polled until every file is done. */
export async function ingest(client: OpenAI, ids: string[]): Promise<{ storeId: string; seconds: number; completed: number; failed: number }> {
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
