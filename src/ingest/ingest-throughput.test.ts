import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { ALL_FIXTURE_EXTS, writeFixture } from '../../test/support/fixtures/write-fixture.js';
import { createIngestor } from './ingest.js';

// The target is 10,000 files (lexical) in 5 minutes on 2 cores, i.e. >= 34 files/s; measure 1,000.
const FILES = 1000;
let dir: string;
let paths: string[];
let generateMs: number;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'throughput-'));
  const started = performance.now();
  paths = Array.from({ length: FILES }, (_, i) =>
    writeFixture(dir, ALL_FIXTURE_EXTS[i % ALL_FIXTURE_EXTS.length], `Fact ${i}: the locker code is ${(i * 7919) % 100000}.`, {
      name: `f${i}`,
      words: 60 + ((i * 37) % 600),
    }),
  );
  generateMs = performance.now() - started;
});
after(() => rmSync(dir, { recursive: true, force: true }));

it(`ingests ${FILES} mixed small files through a 2-worker pool fast enough for 10,000 in 5 minutes`, async (t) => {
  const ingestor = createIngestor({ concurrency: 2 });
  const started = performance.now();
  const results = await Promise.all(paths.map((path) => ingestor.ingest({ path, filename: path, chunking: { type: 'auto' } })));
  const seconds = (performance.now() - started) / 1000;
  await ingestor.close();
  const failed = results.filter((r) => !r.ok);
  assert.deepEqual(failed, []);
  const rate = FILES / seconds;
  t.diagnostic(`generated ${FILES} fixtures in ${generateMs.toFixed(0)} ms; ingested in ${seconds.toFixed(2)} s = ${rate.toFixed(0)} files/s`);
  assert.ok(rate >= 34, `${rate.toFixed(1)} files/s`);
});
