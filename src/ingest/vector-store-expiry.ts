import type { SearchIndex } from '../search/search-index.js';
import type { Store } from '../store/store.js';

const SWEEP_LIMIT = 100;

/**
 * Marks stores whose `expires_at` has passed as `expired` and frees their chunks: an expired store can no longer
 * be searched, only listed and deleted. Reads already show `expired` before the sweep gets there.
 */
export async function sweepExpiredVectorStores(store: Store, index: SearchIndex, now: number): Promise<number> {
  let swept = 0;
  for (;;) {
    const due = await store.vectorStores.expiring(now, SWEEP_LIMIT);
    for (const { project, id } of due) {
      const vs = await store.vectorStores.get(project, id);
      // Re-read: a use since the query may have pushed its time back.
      if (!vs || vs.expires_at === null || vs.expires_at > now) continue;
      await store.vectorStores.replace(project, { ...vs, status: 'expired' });
      await index.removeStore(project, id);
      swept++;
    }
    if (due.length < SWEEP_LIMIT) return swept;
  }
}
