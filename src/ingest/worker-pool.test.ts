import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ALL_FIXTURE_EXTS, writeFixture } from '../../test/support/fixtures/write-fixture.js';
import { createIngestor, type IngestorStats } from './ingest.js';

const AUTO = { type: 'auto' } as const;

describe('ingest worker pool', () => {
  let dir: string;
  let huge: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'pool-'));
    // ~40 MB of text: several seconds of tokenizing, far beyond the short deadlines below.
    huge = join(dir, 'huge.txt');
    writeFileSync(huge, 'lorem ipsum dolor sit amet, consectetur adipiscing elit\n'.repeat(700_000));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('parses at a lower CPU priority than the event loop (Linux)', { skip: !existsSync('/proc/thread-self') }, async () => {
    const ingestor = createIngestor({ concurrency: 1 });
    const path = writeFixture(dir, 'txt', 'a fact', { name: 'nice' });
    assert.ok((await ingestor.ingest({ path, filename: path, chunking: AUTO })).ok);
    const nice = (tid: string) => Number(readFileSync(`/proc/self/task/${tid}/stat`, 'utf8').split(') ')[1]!.split(' ')[16]);
    const values = readdirSync('/proc/self/task').map(nice);
    await ingestor.close();
    assert.equal(nice(String(process.pid)), 0, 'the main thread keeps its priority');
    assert.equal(values.filter((v) => v === 10).length, 1, 'the one parser thread runs at nice 10');
  });

  it('never runs more files at once than its concurrency', async () => {
    const ingestor = createIngestor({ concurrency: 2 });
    const paths = Array.from({ length: 24 }, (_, i) => writeFixture(dir, ALL_FIXTURE_EXTS[i % ALL_FIXTURE_EXTS.length], `fact ${i}`, { name: `c${i}` }));
    const seen: IngestorStats[] = [];
    const sampler = setInterval(() => seen.push(ingestor.stats()), 1);
    const results = await Promise.all(paths.map((path) => ingestor.ingest({ path, filename: path, chunking: AUTO })));
    clearInterval(sampler);
    seen.push(ingestor.stats());
    assert.ok(results.every((r) => r.ok));
    assert.ok(seen.every((s) => s.active <= 2 && s.workers <= 2), JSON.stringify(seen.find((s) => s.active > 2 || s.workers > 2)));
    assert.ok(seen.some((s) => s.active === 2 && s.queued > 0), 'the pool never ran two files at once');
    assert.deepEqual(seen[seen.length - 1], { active: 0, queued: 0, workers: 2 });
    await ingestor.close();
    assert.deepEqual(ingestor.stats(), { active: 0, queued: 0, workers: 0 });
  });

  it('times out a file that takes too long without stalling the others', async () => {
    const ingestor = createIngestor({ concurrency: 2, timeoutMs: 1500, timeoutPerMibMs: 0 });
    const small = (i: number) => writeFixture(dir, 'md', `small fact ${i}`, { name: `s${i}` });
    // Warm both workers so thread start-up is not part of what is measured.
    await Promise.all([0, 1].map((i) => ingestor.ingest({ path: small(i), filename: 'a.md', chunking: AUTO })));
    const started = performance.now();
    const slow = ingestor.ingest({ path: huge, filename: 'huge.txt', chunking: AUTO }).then((r) => ({ r, ms: performance.now() - started }));
    const quick = await Promise.all(
      Array.from({ length: 10 }, (_, i) => ingestor.ingest({ path: small(i + 2), filename: 'b.md', chunking: AUTO })),
    );
    const quickMs = performance.now() - started;
    assert.ok(quick.every((r) => r.ok));
    assert.ok(quickMs < 1500, `small files waited ${quickMs.toFixed(0)} ms behind the slow one`);
    const { r, ms } = await slow;
    assert.ok(!r.ok && r.error.code === 'invalid_file', JSON.stringify(r));
    assert.match(r.error.message, /took longer than 1\.5 s/);
    assert.ok(ms >= 1500 && ms < 4000, `timed out after ${ms.toFixed(0)} ms`);
    const afterwards = await ingestor.ingest({ path: small(20), filename: 'c.md', chunking: AUTO });
    assert.ok(afterwards.ok);
    await ingestor.close();
  });

  it('replaces a worker that runs out of memory and fails only that file', async () => {
    const ingestor = createIngestor({ concurrency: 1, maxHeapMb: 48 });
    const r = await ingestor.ingest({ path: huge, filename: 'huge.txt', chunking: AUTO });
    assert.ok(!r.ok && r.error.code === 'invalid_file', JSON.stringify(r));
    const next = await ingestor.ingest({ path: writeFixture(dir, 'txt', 'still alive', { name: 'alive' }), filename: 'x.txt', chunking: AUTO });
    assert.ok(next.ok && next.chunks[0].text.includes('still alive'));
    await ingestor.close();
  });

  it('resolves queued and running files with server_error on close', async () => {
    const ingestor = createIngestor({ concurrency: 1 });
    const pending = [huge, huge, huge].map((path) => ingestor.ingest({ path, filename: 'huge.txt', chunking: AUTO }));
    await new Promise((resolve) => setTimeout(resolve, 300));
    await ingestor.close();
    for (const r of await Promise.all(pending)) assert.ok(!r.ok && r.error.code === 'server_error');
    const late = await ingestor.ingest({ path: huge, filename: 'huge.txt', chunking: AUTO });
    assert.ok(!late.ok && late.error.code === 'server_error');
  });
});
