import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { startChatUpstream, type ChatUpstream } from '../../test/support/chat-upstream.js';
import { createLocalBlobStore } from '../blobs/local-blob-store.js';
import type { BlobStore } from '../blobs/blob-store.js';
import { buildFileObject } from '../domain/file-object.js';
import { ID_PREFIX, newId } from '../domain/ids.js';
import { buildVectorStore } from '../domain/vector-stores.js';
import type { EmbeddingModel } from '../providers/embedding-model.js';
import { createOpenAIEmbeddingModel } from '../providers/openai-embedding-model.js';
import { createSearchIndex } from '../search/create-search-index.js';
import { createStore } from '../store/create-store.js';
import type { Store } from '../store/store.js';
import { createIngestor } from './ingest.js';
import { createVectorStoreIngestion } from './vector-store-ingestion.js';

// Every embedding request of a long-lived pipeline shares its one AbortSignal; a listener left on it per request
// grows without bound (MaxListenersExceededWarning after a few dozen files, and memory after that).

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

let dir: string;
let store: Store;
let blobs: BlobStore;
let upstream: ChatUpstream;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'assistd-listeners-'));
  store = createStore({ dataDir: dir });
  await store.migrate();
  blobs = createLocalBlobStore(join(dir, 'files'));
  upstream = await startChatUpstream({ record: false });
});
after(async () => {
  await upstream.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

test('300 files through the pipeline: the abort listener count and the heap stay flat', async () => {
  const warnings: string[] = [];
  const onWarning = (w: Error) => void warnings.push(w.name);
  process.on('warning', onWarning);
  const real = createOpenAIEmbeddingModel({ baseURL: upstream.baseURL, model: 'local-embed', dimensions: 256 });
  let signal: AbortSignal | undefined;
  const embeddings: EmbeddingModel = { ...real, embed: (texts, s) => ((signal = s), real.embed(texts, s)) };
  const ingestor = createIngestor({ concurrency: 1 });
  const pipeline = createVectorStoreIngestion({ store, blobs, index: createSearchIndex(store), ingestor, embeddings, pollMs: 50 });
  const vs = buildVectorStore({}, Math.floor(Date.now() / 1000));
  await store.vectorStores.insert('p', vs);
  const samples: Array<{ listeners: number; heap: number }> = [];
  try {
    for (let round = 0; round < 3; round++) {
      const ids = await Promise.all(Array.from({ length: 100 }, (_, i) => upload(`Round ${round} file ${i}: the locker code is ${round * 1000 + i}.`)));
      await pipeline.addFiles('p', vs.id, ids.map((fileId) => ({ fileId, chunking: { type: 'auto' }, attributes: {} })));
      assert.equal(await pipeline.waitForVectorStores('p', [vs.id], 120_000), true);
      gc();
      samples.push({ listeners: getEventListeners(signal!, 'abort').length, heap: process.memoryUsage().heapUsed });
    }
  } finally {
    await pipeline.close();
    await ingestor.close();
    process.off('warning', onWarning);
  }
  const usage = (await store.vectorStoreFiles.usage('p', [vs.id])).get(vs.id)!;
  assert.equal(usage.completed, 300);
  assert.equal((await store.chunks.staleStores(real.key, 10)).length, 0, 'every chunk has a vector');
  assert.deepEqual(samples.map((s) => s.listeners), [0, 0, 0], 'no listener is left on the shared signal');
  const growth = (samples[2]!.heap - samples[0]!.heap) / 1024 / 1024;
  assert.ok(growth < 8, `heap grew ${growth.toFixed(1)} MiB over 200 files`);
  assert.deepEqual(warnings.filter((w) => w === 'MaxListenersExceededWarning'), []);
});

async function upload(text: string): Promise<string> {
  const id = newId(ID_PREFIX.file);
  const bytes = Buffer.from(text);
  await blobs.write(id, Readable.from(bytes), 1e9);
  await store.files.insert('p', buildFileObject(id, 'doc.txt', bytes.length, 'assistants'));
  return id;
}
