import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pino } from 'pino';
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import { buildFixture, type FixtureKind } from '../../test/support/fixtures/write-fixture.js';
import { createLocalBlobStore } from '../blobs/local-blob-store.js';
import type { BlobStore } from '../blobs/blob-store.js';
import { buildFileObject } from '../domain/file-object.js';
import { ID_PREFIX, newId } from '../domain/ids.js';
import { buildVectorStore, vectorStoreView } from '../domain/vector-stores.js';
import type { EmbeddingModel } from '../providers/embedding-model.js';
import type { Attributes, IndexedChunk, SearchIndex } from '../search/search-index.js';
import { createStore } from '../store/create-store.js';
import type { Store } from '../store/store.js';
import { createIngestor, type Ingestor } from './ingest.js';
import { createVectorStoreIngestion, type VectorStoreIngestion } from './vector-store-ingestion.js';

// The pipeline against a real SQLite store, real blobs and the real worker-thread parsers, with the search index
// and the embedding model replaced at their interfaces by small in-memory implementations.

const P = 'proj';
const AUTO = { type: 'auto' } as const;

/** Keeps what was indexed, so tests can see exactly which files are searchable. */
function memoryIndex() {
  const files = new Map<string, { attributes: Attributes; chunks: IndexedChunk[] }>();
  const key = (vs: string, f: string) => `${vs}/${f}`;
  const index: SearchIndex & { files: typeof files } = {
    files,
    async putFile(_p, vs, file, chunks) {
      files.set(key(vs, file.fileId), { attributes: file.attributes, chunks });
    },
    async setAttributes(_p, vs, fileId, attributes) {
      const f = files.get(key(vs, fileId));
      if (f) f.attributes = attributes;
    },
    async removeFile(_p, vs, fileId) {
      files.delete(key(vs, fileId));
    },
    async removeStore(_p, vs) {
      for (const k of [...files.keys()]) if (k.startsWith(`${vs}/`)) files.delete(k);
    },
    async fileChunks(_p, vs, fileId) {
      return (files.get(key(vs, fileId))?.chunks ?? []).map((c) => c.text);
    },
    async search() {
      return [];
    },
  };
  return index;
}

/** An ingestor whose files wait at a gate, counting how many are inside at once. */
function gatedIngestor(inner: Ingestor) {
  let open = true;
  let release: () => void = () => {};
  let gate = Promise.resolve();
  const state = { active: 0, peak: 0, calls: 0 };
  const ingestor: Ingestor = {
    async ingest(input) {
      state.calls++;
      state.active++;
      state.peak = Math.max(state.peak, state.active);
      try {
        if (!open) await gate;
        return await inner.ingest(input);
      } finally {
        state.active--;
      }
    },
    stats: () => inner.stats(),
    close: () => inner.close(),
  };
  return {
    ingestor,
    state,
    close() {
      open = false;
      gate = new Promise((resolve) => (release = resolve));
    },
    open() {
      open = true;
      release();
    },
  };
}

async function until(check: () => Promise<boolean> | boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('vector store ingestion pipeline', () => {
  let dir: string;
  let store: Store;
  let blobs: BlobStore;
  let parsers: Ingestor;
  let index: ReturnType<typeof memoryIndex>;
  let pipelines: VectorStoreIngestion[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'assistd-vsi-'));
    store = createStore({ dataDir: dir });
    await store.migrate();
    blobs = createLocalBlobStore(join(dir, 'files'));
    parsers = createIngestor({ concurrency: 1 });
  });
  beforeEach(() => {
    index = memoryIndex();
  });
  // Pipelines share the database like replicas would; each test's must stop before the next test's start.
  afterEach(async () => {
    await Promise.all(pipelines.map((p) => p.close()));
    pipelines = [];
  });
  after(async () => {
    await parsers.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function pipeline(opts: Partial<Parameters<typeof createVectorStoreIngestion>[0]> = {}) {
    const p = createVectorStoreIngestion({ store, blobs, index, ingestor: parsers, pollMs: 50, ...opts });
    pipelines.push(p);
    return p;
  }

  async function upload(kind: FixtureKind, fact: string): Promise<string> {
    const { bytes, ext } = buildFixture(kind, fact);
    const id = newId(ID_PREFIX.file);
    await blobs.write(id, Readable.from(Buffer.from(bytes)), 1e9);
    await store.files.insert(P, buildFileObject(id, `doc${ext}`, bytes.length, 'assistants'));
    return id;
  }

  async function newStore(expires?: { days: number }, now?: number): Promise<string> {
    const vs = buildVectorStore({ expires_after: expires ? { anchor: 'last_active_at', days: expires.days } : null }, now ?? Math.floor(Date.now() / 1000));
    await store.vectorStores.insert(P, vs);
    return vs.id;
  }

  const view = async (id: string, now = Math.floor(Date.now() / 1000)) =>
    vectorStoreView((await store.vectorStores.get(P, id))!, (await store.vectorStoreFiles.usage(P, [id])).get(id)!, now);

  test('good, unsupported and corrupt files each end truthfully; only good ones are indexed', async () => {
    const p = pipeline();
    const vs = await newStore();
    const good = await upload('md', 'The heron code is HX-41.');
    const unsupported = await upload('bin-unsupported', 'x');
    const corrupt = await upload('docx-truncated', 'y');
    await p.addFiles(P, vs, [good, unsupported, corrupt].map((fileId) => ({ fileId, chunking: AUTO, attributes: { k: 1 } })));
    assert.equal((await view(vs)).status, 'in_progress');
    assert.equal(await p.waitForVectorStores(P, [vs], 30_000), true);
    const v = await view(vs);
    assert.equal(v.status, 'completed');
    assert.deepEqual(v.file_counts, { in_progress: 0, completed: 1, failed: 2, cancelled: 0, total: 3 });
    assert.ok(v.usage_bytes > 0);
    assert.equal((await store.vectorStoreFiles.get(P, vs, unsupported))?.last_error?.code, 'unsupported_file');
    assert.equal((await store.vectorStoreFiles.get(P, vs, corrupt))?.last_error?.code, 'invalid_file');
    assert.deepEqual([...index.files.keys()], [`${vs}/${good}`]);
    assert.match((await index.fileChunks(P, vs, good)).join(' '), /HX-41/);
    assert.deepEqual(index.files.get(`${vs}/${good}`)?.attributes, { k: 1 });
  });

  test('concurrency stays bounded and every completion is counted', async () => {
    const gated = gatedIngestor(parsers);
    const p = pipeline({ ingestor: gated.ingestor, concurrency: 3 });
    const vs = await newStore();
    const ids = await Promise.all(Array.from({ length: 12 }, (_, i) => upload('txt', `Fact number ${i} is F${i}.`)));
    await p.addFiles(P, vs, ids.map((fileId) => ({ fileId, chunking: AUTO, attributes: {} })));
    assert.equal(await p.waitForVectorStores(P, [vs], 30_000), true);
    assert.ok(gated.state.peak <= 3, `peak ${gated.state.peak}`);
    assert.ok(gated.state.peak >= 2, 'files are processed in parallel');
    assert.equal((await view(vs)).file_counts.completed, 12);
    assert.equal(index.files.size, 12);
  });

  test('embeddings are computed for every chunk when a model exists', async () => {
    const calls: number[] = [];
    const embeddings: EmbeddingModel = {
      name: 'test-embed',
      dimensions: 4,
      key: 'test-embed:4',
      async embed(texts) {
        calls.push(texts.length);
        return texts.map((t) => [t.length, 1, 0, 0]);
      },
    };
    const p = pipeline({ embeddings });
    const vs = await newStore();
    const id = await upload('txt', 'Embedded fact E-77.');
    await p.addFiles(P, vs, [{ fileId: id, chunking: { type: 'static', static: { max_chunk_size_tokens: 100, chunk_overlap_tokens: 0 } }, attributes: {} }]);
    assert.equal(await p.waitForVectorStores(P, [vs], 30_000), true);
    const chunks = index.files.get(`${vs}/${id}`)!.chunks;
    assert.ok(chunks.length >= 1 && calls.reduce((a, b) => a + b, 0) === chunks.length);
    for (const c of chunks) assert.deepEqual([...c.embedding!], [c.text.length, 1, 0, 0]);
  });

  test('an embedding model that fails leaves the file completed and searchable by words, logged once', async () => {
    let calls = 0;
    const embeddings: EmbeddingModel = { name: 'down', dimensions: 4, key: 'down:4', embed: async () => (calls++, Promise.reject(new Error('upstream is down'))) };
    const warnings: string[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => void warnings.push(JSON.parse(line).msg) });
    const p = pipeline({ embeddings, logger, embeddingRetryMs: 60_000 });
    const vs = await newStore();
    const ids = [await upload('txt', 'Never embedded.'), await upload('txt', 'Nor this one.')];
    await p.addFiles(P, vs, ids.map((fileId) => ({ fileId, chunking: AUTO, attributes: {} })));
    assert.equal(await p.waitForVectorStores(P, [vs], 30_000), true);
    for (const id of ids) {
      const file = await store.vectorStoreFiles.get(P, vs, id);
      assert.equal(file?.status, 'completed');
      assert.equal(file?.last_error, null);
      assert.equal(index.files.get(`${vs}/${id}`)!.chunks[0]!.embedding, undefined);
    }
    assert.equal(warnings.filter((m) => /embedding model down is unavailable/.test(m)).length, 1, warnings.join('\n'));
    assert.match(warnings[0]!, /ASSISTD_EMBEDDING_MODEL/);
    assert.ok(calls <= 2, `files skip a model known to be down (${calls} calls)`);
  });

  test('cancelling a batch and removing a file mid-flight leave nothing searchable', async () => {
    const gated = gatedIngestor(parsers);
    gated.close();
    const p = pipeline({ ingestor: gated.ingestor });
    const vs = await newStore();
    const [a, b, c] = await Promise.all(['A', 'B', 'C'].map((x) => upload('txt', `Secret ${x}.`)));
    await p.addFiles(P, vs, [a!, b!].map((fileId) => ({ fileId, chunking: AUTO, attributes: {} })), 'vsfb_cancel');
    await p.addFiles(P, vs, [{ fileId: c!, chunking: AUTO, attributes: {} }]);
    await until(() => gated.state.active === 3);
    assert.equal(await p.waitForVectorStores(P, [vs], 100), false, 'the wait times out while files are in progress');
    await p.cancelBatch(P, 'vsfb_cancel');
    assert.equal(await p.removeFile(P, vs, c!), true);
    gated.open();
    await until(() => p.active() === 0);
    assert.equal(await p.waitForVectorStores(P, [vs], 1000), true);
    assert.deepEqual((await store.vectorStoreFiles.batchUsage(P, 'vsfb_cancel')).cancelled, 2);
    assert.equal((await view(vs)).file_counts.total, 2);
    assert.equal(index.files.size, 0);
  });

  test('files in flight at shutdown are handed back and finished by the next start', async () => {
    const gated = gatedIngestor(parsers);
    gated.close();
    const first = pipeline({ ingestor: gated.ingestor });
    const vs = await newStore();
    const id = await upload('txt', 'Survives a restart: R-12.');
    await first.addFiles(P, vs, [{ fileId: id, chunking: AUTO, attributes: {} }]);
    await until(() => gated.state.active === 1);
    const closing = first.close();
    gated.open();
    await closing;
    assert.equal((await store.vectorStoreFiles.get(P, vs, id))?.status, 'in_progress');
    const second = pipeline();
    assert.equal(await second.waitForVectorStores(P, [vs], 30_000), true);
    assert.equal((await store.vectorStoreFiles.get(P, vs, id))?.status, 'completed');
  });

  test('a file claimed by a process that died is taken over when its lease lapses', async () => {
    const vs = await newStore();
    const id = await upload('txt', 'Orphaned by a crash: O-9.');
    const dead = pipeline({ ingestor: gatedIngestor(parsers).ingestor, concurrency: 0 });
    await dead.addFiles(P, vs, [{ fileId: id, chunking: AUTO, attributes: {} }]);
    const at = Date.now();
    assert.equal((await store.vectorStoreFiles.claim(at, at + 400, 10)).length, 1, 'a crashed worker holds it');
    const survivor = pipeline({ leaseMs: 400 });
    assert.equal(await survivor.waitForVectorStores(P, [vs], 200), false);
    assert.equal(await survivor.waitForVectorStores(P, [vs], 30_000), true);
    assert.equal((await store.vectorStoreFiles.get(P, vs, id))?.status, 'completed');
  });

  test('attribute updates reach the index; stores expire on the injected clock and lose their chunks', async () => {
    let nowMs = Date.now();
    const p = pipeline({ clock: () => nowMs });
    const start = p.now();
    const vs = await newStore({ days: 2 }, start);
    const id = await upload('txt', 'Expiring fact X-3.');
    await p.addFiles(P, vs, [{ fileId: id, chunking: AUTO, attributes: { a: 'b' } }]);
    assert.equal(await p.waitForVectorStores(P, [vs], 30_000), true);
    assert.equal(await p.setAttributes(P, vs, id, { a: 'c', n: 2 }), true);
    assert.deepEqual(index.files.get(`${vs}/${id}`)?.attributes, { a: 'c', n: 2 });

    nowMs += 86_400_000;
    await p.touch(P, [vs]);
    assert.equal((await store.vectorStores.get(P, vs))?.expires_at, start + 3 * 86_400, 'use pushes expiry back');
    nowMs += 2 * 86_400_000 + 1000;
    assert.equal((await view(vs, p.now())).status, 'expired', 'reads see expiry before the sweep');
    assert.equal(await p.sweepExpired(), 1);
    assert.equal((await store.vectorStores.get(P, vs))?.status, 'expired');
    assert.equal(index.files.size, 0);
    assert.equal(await p.sweepExpired(), 0);
    await p.touch(P, [vs]);
    assert.equal((await store.vectorStores.get(P, vs))?.status, 'expired', 'an expired store stays expired');
  });
});
