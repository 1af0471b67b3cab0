import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { openPlanProbe, type PlanProbe } from '../../test/support/query-plans.js';
import { buildVectorStoreFile } from '../domain/vector-stores.js';
import { createVectorStoreFilesRepo } from './vector-store-files-repo.js';

// The ingestion claim runs every time a file finishes, on the same thread as the API. Its cost must not grow with
// the queue: both planners must read the queued files through the partial index, in order, and stop at the limit,
// never walk every queued file of a store (the plan that cost 5.9 ms a claim with 19.5k files queued).

const QUEUED = 5000;

for (const dialect of ['sqlite', 'postgres'] as const) {
  describe(`the ingestion claim's plan on ${dialect}`, () => {
    let probe: PlanProbe;
    before(async () => {
      const files = Array.from({ length: QUEUED }, (_, i) => ({
        file: buildVectorStoreFile('vs_queue', `file-${String(i).padStart(6, '0')}`, { type: 'auto' }, {}, 1_700_000_000 + Math.floor(i / 50)),
        batchId: null,
        job: `job-${i}`,
      }));
      probe = await openPlanProbe(dialect, (store) => store.vectorStoreFiles.upsert('p', files));
    });
    after(() => probe.close());

    test('reads the queue through its partial index, not every queued file', async (t) => {
      const repo = createVectorStoreFilesRepo(probe.db, { dialect, skipLocked: dialect === 'postgres', notify: false });
      const held = await repo.claim(1_000, 61_000, 8);
      assert.equal(held.length, 8);
      const claim = probe.queries.find((q) => /^update "vector_store_files"/.test(q.sql))!;
      const plan = await probe.explain(claim);
      t.diagnostic(plan);
      assert.match(plan, /vector_store_files_queue/, plan);
      assert.doesNotMatch(plan, /vector_store_files_status|Seq Scan on vector_store_files/, plan);
      // Claims after the first skip the leased files at the head of the queue and still take the next ones.
      const next = await repo.claim(1_000, 61_000, 8);
      assert.deepEqual(next.map((c) => c.fileId).sort(), Array.from({ length: 8 }, (_, i) => `file-${String(8 + i).padStart(6, '0')}`));
    });
  });
}
