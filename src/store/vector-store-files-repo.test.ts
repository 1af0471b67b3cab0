import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createTestDatabase } from '../../test/support/postgres.js';
import { buildVectorStore, buildVectorStoreFile } from '../domain/vector-stores.js';
import { createStore } from './create-store.js';
import type { Store } from './store.js';
import type { NewVectorStoreFile } from './vector-store-files-repo.js';

// Vector store repositories on SQLite and on a private Postgres cluster: membership, counts that concurrent
// completions cannot corrupt, leases that hand a file to exactly one claimer, and the expiry query.

const AUTO = { type: 'auto' } as const;

function newFiles(vectorStoreId: string, n: number, batchId: string | null = null, createdAt = 1_700_000_000): NewVectorStoreFile[] {
  return Array.from({ length: n }, (_, i) => ({
    file: buildVectorStoreFile(vectorStoreId, `file-${vectorStoreId}-${String(i).padStart(3, '0')}`, AUTO, { n: i }, createdAt),
    batchId,
    job: `job-${i}`,
  }));
}

for (const dialect of ['sqlite', 'postgres'] as const) {
  describe(`vector store repositories on ${dialect}`, () => {
    let store: Store;
    before(async () => {
      const databaseUrl = dialect === 'postgres' ? await createTestDatabase() : undefined;
      store = createStore({ databaseUrl, dataDir: mkdtempSync(join(tmpdir(), 'assistd-vs-store-')) });
      await store.migrate();
    });
    after(() => store.close());

    test('files: add, page in both directions, filter by status and batch, confined to a project', async () => {
      await store.vectorStoreFiles.upsert('p1', newFiles('vs_page', 25, 'vsfb_1'));
      const asc = await store.vectorStoreFiles.list('p1', 'vs_page', { limit: 100, order: 'asc' });
      const ids = asc.data.map((f) => f.id);
      assert.equal(ids.length, 25);
      assert.deepEqual([...ids].sort(), ids);
      const page = await store.vectorStoreFiles.list('p1', 'vs_page', { limit: 10, order: 'desc', after: ids[20] });
      assert.deepEqual(page.data.map((f) => f.id), ids.slice(10, 20).reverse());
      assert.equal(page.has_more, true);
      const back = await store.vectorStoreFiles.list('p1', 'vs_page', { limit: 5, order: 'asc', before: ids[10] });
      assert.deepEqual(back.data.map((f) => f.id), ids.slice(5, 10));
      assert.equal((await store.vectorStoreFiles.list('p2', 'vs_page', { limit: 10, order: 'asc' })).data.length, 0);
      assert.equal(await store.vectorStoreFiles.get('p2', 'vs_page', ids[0]!), undefined);
      const file = await store.vectorStoreFiles.get('p1', 'vs_page', ids[3]!);
      assert.equal(file?.status, 'in_progress');
      assert.deepEqual(file?.attributes, { n: 3 });
      assert.deepEqual(file?.chunking_strategy, { type: 'static', static: { max_chunk_size_tokens: 800, chunk_overlap_tokens: 400 } });
      assert.equal((await store.vectorStoreFiles.list('p1', 'vs_page', { limit: 100, order: 'asc' }, { batchId: 'vsfb_1', status: 'in_progress' })).data.length, 25);
      assert.equal((await store.vectorStoreFiles.list('p1', 'vs_page', { limit: 100, order: 'asc' }, { status: 'completed' })).data.length, 0);
      await assert.rejects(store.vectorStoreFiles.list('p1', 'vs_page', { limit: 5, order: 'asc', after: 'file-missing' }), /after/);
      assert.equal(await store.vectorStoreFiles.setAttributes('p1', 'vs_page', ids[3]!, { n: 'changed' }), true);
      assert.deepEqual((await store.vectorStoreFiles.get('p1', 'vs_page', ids[3]!))?.attributes, { n: 'changed' });
      assert.equal(await store.vectorStoreFiles.delete('p1', 'vs_page', ids[0]!), true);
      assert.equal(await store.vectorStoreFiles.delete('p1', 'vs_page', ids[0]!), false);
      assert.equal(await store.vectorStoreFiles.deleteStore('p1', 'vs_page'), 24);
    });

    test('storesOf: every store of the project holding a file, whatever its status', async () => {
      const shared = (vectorStoreId: string): NewVectorStoreFile => ({ file: buildVectorStoreFile(vectorStoreId, 'file-shared', AUTO, {}, 1), batchId: null, job: 'j' });
      await store.vectorStoreFiles.upsert('p1', [shared('vs_of_b'), shared('vs_of_a'), ...newFiles('vs_of_c', 2)]);
      await store.vectorStoreFiles.upsert('p2', [shared('vs_of_other')]);
      const [claim] = (await store.vectorStoreFiles.claim(9_000_000, 9_001_000, 100)).filter((c) => c.vectorStoreId === 'vs_of_a');
      await store.vectorStoreFiles.finish(claim!, { status: 'completed', usageBytes: 3 });
      assert.deepEqual(await store.vectorStoreFiles.storesOf('p1', 'file-shared'), ['vs_of_a', 'vs_of_b']);
      assert.deepEqual(await store.vectorStoreFiles.storesOf('p2', 'file-shared'), ['vs_of_other']);
      assert.deepEqual(await store.vectorStoreFiles.storesOf('p1', 'file-none'), []);
      for (const vs of ['vs_of_a', 'vs_of_b', 'vs_of_c']) await store.vectorStoreFiles.deleteStore('p1', vs);
      await store.vectorStoreFiles.deleteStore('p2', 'vs_of_other');
    });

    test('claims: each file goes to one claimer; a lapsed lease is claimable again; stale attempts cannot finish', async () => {
      await store.vectorStoreFiles.upsert('p1', newFiles('vs_claim', 6));
      const now = 1_000_000;
      const [a, b] = await Promise.all([store.vectorStoreFiles.claim(now, now + 1000, 4), store.vectorStoreFiles.claim(now, now + 1000, 4)]);
      const claimed = [...a!, ...b!].filter((c) => c.vectorStoreId === 'vs_claim');
      assert.equal(claimed.length, 6);
      assert.equal(new Set(claimed.map((c) => c.fileId)).size, 6, 'no file is claimed twice');
      assert.equal((await store.vectorStoreFiles.claim(now + 500, now + 1500, 10)).filter((c) => c.vectorStoreId === 'vs_claim').length, 0);
      const again = (await store.vectorStoreFiles.claim(now + 2000, now + 3000, 10)).filter((c) => c.vectorStoreId === 'vs_claim');
      assert.equal(again.length, 6, 'lapsed leases are claimed again');

      const [first, second] = again;
      // Re-adding a file starts a new attempt: the old one's outcome is discarded.
      await store.vectorStoreFiles.upsert('p1', [{ file: first!.file, batchId: null, job: 'job-new' }]);
      assert.equal(await store.vectorStoreFiles.finish(first!, { status: 'completed', usageBytes: 10 }), false);
      assert.equal(await store.vectorStoreFiles.finish(second!, { status: 'failed', error: { code: 'invalid_file', message: 'bad' } }), true);
      assert.equal(await store.vectorStoreFiles.finish(second!, { status: 'completed', usageBytes: 10 }), false, 'finished once');
      const failed = await store.vectorStoreFiles.get('p1', 'vs_claim', second!.fileId);
      assert.deepEqual([failed?.status, failed?.last_error], ['failed', { code: 'invalid_file', message: 'bad' }]);
      await store.vectorStoreFiles.release(again[2]!);
      assert.ok((await store.vectorStoreFiles.claim(now + 2500, now + 3500, 10)).some((c) => c.fileId === again[2]!.fileId), 'released files are claimable at once');
      await store.vectorStoreFiles.deleteStore('p1', 'vs_claim');
    });

    test('usage: concurrent completions are all counted; batches count their own files; cancel stops in-progress ones', async () => {
      await store.vectorStoreFiles.upsert('p1', newFiles('vs_count', 40, 'vsfb_count'));
      const claims = (await store.vectorStoreFiles.claim(5_000_000, 5_001_000, 100)).filter((c) => c.vectorStoreId === 'vs_count');
      assert.equal(claims.length, 40);
      await Promise.all(
        claims.slice(0, 30).map((c, i) =>
          store.vectorStoreFiles.finish(c, i % 3 === 0 ? { status: 'failed', error: { code: 'server_error', message: 'x' } } : { status: 'completed', usageBytes: 100 }),
        ),
      );
      const usage = (await store.vectorStoreFiles.usage('p1', ['vs_count', 'vs_none'])).get('vs_count')!;
      assert.deepEqual(usage, { in_progress: 10, completed: 20, failed: 10, cancelled: 0, total: 40, usage_bytes: 2000 });
      assert.deepEqual((await store.vectorStoreFiles.usage('p1', ['vs_none'])).get('vs_none'), { in_progress: 0, completed: 0, failed: 0, cancelled: 0, total: 0, usage_bytes: 0 });
      assert.equal((await store.vectorStoreFiles.cancelBatch('p1', 'vsfb_count')).length, 10);
      assert.deepEqual(await store.vectorStoreFiles.batchUsage('p1', 'vsfb_count'), { in_progress: 0, completed: 20, failed: 10, cancelled: 10, total: 40, usage_bytes: 2000 });
      assert.equal(await store.vectorStoreFiles.finish(claims[35]!, { status: 'completed', usageBytes: 1 }), false, 'a cancelled file stays cancelled');
      assert.deepEqual((await store.vectorStoreFiles.batchUsage('p2', 'vsfb_count')).total, 0);
    });

    test('vector stores: documents plus the expiry query', async () => {
      const live = { ...buildVectorStore({ name: 'a', expires_after: { anchor: 'last_active_at', days: 1 } }, 1000), id: `vs_live_${dialect}` };
      const never = { ...buildVectorStore({ name: 'b' }, 1000), id: `vs_never_${dialect}` };
      await store.vectorStores.insert('p1', live);
      await store.vectorStores.insert('p1', never);
      assert.equal(live.expires_at, 1000 + 86_400);
      assert.deepEqual(await store.vectorStores.expiring(1000 + 86_399, 10), []);
      assert.deepEqual(await store.vectorStores.expiring(1000 + 86_400, 10), [{ project: 'p1', id: live.id }]);
      await store.vectorStores.replace('p1', { ...live, status: 'expired' });
      assert.deepEqual(await store.vectorStores.expiring(1000 + 90_000, 10), []);
    });
  });
}
