import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ALL_FIXTURE_EXTS, BROKEN_FIXTURES, ENCODING_VARIANTS, writeFixture, type BrokenFixture } from '../../test/support/fixtures/write-fixture.js';
import { createIngestor, SUPPORTED_EXTENSIONS, type Ingestor, type IngestResult } from './ingest.js';

const FACT = 'The vault code for project Kestrel is 7Q4-ZEBRA-19.';
const AUTO = { type: 'auto' } as const;

function chunksOf(r: IngestResult): string[] {
  assert.ok(r.ok, `expected success, got ${JSON.stringify(r)}`);
  return r.chunks.map((c) => c.text);
}

describe('ingest through the worker pool', () => {
  let dir: string;
  let ingestor: Ingestor;
  const ingest = (path: string, filename = path) => ingestor.ingest({ path, filename, chunking: AUTO });

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'ingest-'));
    ingestor = createIngestor({ concurrency: 2 });
  });
  after(async () => {
    await ingestor.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('covers every extension the hosted file_search list names', () => {
    const hosted = ['c', 'cpp', 'cs', 'css', 'csv', 'docx', 'go', 'html', 'java', 'js', 'json', 'md', 'pdf', 'php', 'pptx', 'py', 'rb', 'sh', 'tex', 'ts', 'txt', 'xlsx'];
    for (const ext of hosted) {
      assert.ok(SUPPORTED_EXTENSIONS.includes(`.${ext}`), `.${ext} not supported`);
      assert.ok((ALL_FIXTURE_EXTS as readonly string[]).includes(ext), `no fixture for .${ext}`);
    }
  });

  for (const ext of ALL_FIXTURE_EXTS) {
    it(`finds the fact in a .${ext} file`, async () => {
      const path = writeFixture(dir, ext, FACT, { name: `fact-${ext}` });
      const r = await ingest(path, `Report.${ext.toUpperCase()}`);
      assert.ok(chunksOf(r).some((t) => t.includes(FACT)), `fact missing from .${ext}: ${JSON.stringify(chunksOf(r)).slice(0, 400)}`);
      assert.ok(r.ok && r.tokens > 0 && r.bytes > 0);
    });
  }

  for (const variant of ENCODING_VARIANTS) {
    it(`decodes ${variant} text`, async () => {
      const r = await ingest(writeFixture(dir, variant, FACT, { name: `enc-${variant}` }));
      const text = chunksOf(r).join('');
      assert.ok(text.includes(FACT));
      assert.ok(!text.includes('\uFFFD') && !text.includes('\u0000') && !text.startsWith('\uFEFF'));
    });
  }

  it('keeps non-ASCII text intact in UTF-16 and legacy 8-bit files', async () => {
    const fact = 'Le café de Zoë ouvre à 7h; naïve façade.';
    for (const [name, bytes] of [
      ['le.txt', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(fact, 'utf16le')])],
      ['be.txt', Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(fact, 'utf16le').swap16()])],
      ['latin.txt', Buffer.from(fact, 'latin1')],
    ] as const) {
      writeFileSync(join(dir, name), bytes);
      assert.deepEqual(chunksOf(await ingest(join(dir, name))), [fact]);
    }
  });

  it('keeps big JSON integers digit for digit and presents xlsx rows with sheet names', async () => {
    const json = chunksOf(await ingest(writeFixture(dir, 'json', FACT, { name: 'ids' }))).join('');
    assert.match(json, /"id": 90071992547409931,/);
    const xlsx = chunksOf(await ingest(writeFixture(dir, 'xlsx', FACT, { name: 'sheet' }))).join('');
    assert.match(xlsx, /^Sheet: Summary\nItem\tCount\tPrice\tTotal\tActive\n/);
    assert.match(xlsx, /\tFALSE\n/);
    assert.match(xlsx, /\n\nSheet: Facts\nFact\n/);
  });

  it('reads pptx slides in presentation order, not file-name order', async () => {
    const text = chunksOf(await ingest(writeFixture(dir, 'pptx', FACT, { name: 'deck' }))).join('');
    assert.ok(text.startsWith('Slide 1\nNotes '), text.slice(0, 80));
    assert.ok(text.indexOf('Slide 2\n' + FACT) > 0);
  });

  for (const [kind, code] of Object.entries(BROKEN_FIXTURES)) {
    it(`fails ${kind} with ${code} and keeps working`, async () => {
      const r = await ingest(writeFixture(dir, kind as BrokenFixture, FACT, { name: `broken-${kind}` }));
      assert.equal(r.ok, false);
      assert.ok(!r.ok && r.error.code === code, JSON.stringify(r));
      assert.ok(!r.ok && r.error.message.length > 0);
      const next = await ingest(writeFixture(dir, 'docx', FACT, { name: `after-${kind}` }));
      assert.ok(chunksOf(next).some((t) => t.includes(FACT)));
    });
  }

  it('lists the supported types in the unsupported_file message', async () => {
    const r = await ingest(writeFixture(dir, 'bin-unsupported', FACT, { name: 'prog' }), 'setup.exe');
    assert.ok(!r.ok);
    assert.match(r.error.message, /^Files with extensions \[\.exe\] are not supported for retrieval\. Supported extensions: .*\.docx.*\.pdf/);
  });

  it('reports a missing file as server_error', async () => {
    const r = await ingest(join(dir, 'gone.txt'));
    assert.deepEqual(r.ok ? undefined : r.error.code, 'server_error');
  });

  it('chunks with the requested static strategy', async () => {
    const path = writeFixture(dir, 'txt', FACT, { name: 'long', words: 3000 });
    const chunking = { type: 'static', static: { max_chunk_size_tokens: 120, chunk_overlap_tokens: 20 } } as const;
    const r = await ingestor.ingest({ path, filename: 'long.txt', chunking });
    assert.ok(r.ok && r.chunks.length > 20);
    assert.ok(r.chunks.every((c) => c.tokens <= 120));
    assert.ok(r.chunks.some((c) => c.text.includes(FACT)));
  });
});
