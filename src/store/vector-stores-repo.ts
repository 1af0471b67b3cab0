import type { Kysely } from 'kysely';
import type { VectorStore } from '../domain/types.js';
import { createDocumentRepo } from './document-repo.js';
import type { DocumentRepo } from './store.js';

/** Vector stores as documents, plus the query the expiry sweep needs. */
export interface VectorStoresRepo extends DocumentRepo<VectorStore> {
  /** Stores not yet marked expired whose `expires_at` (unix seconds) is at or before `now`, oldest first. */
  expiring(now: number, limit: number): Promise<Array<{ project: string; id: string }>>;
}

export function createVectorStoresRepo(db: Kysely<any>): VectorStoresRepo {
  const docs = createDocumentRepo<VectorStore>(db, 'vector_stores', (vs) => ({
    status: vs.status === 'expired' ? 'expired' : 'active',
    expires_at: vs.expires_at,
  }));
  return {
    ...docs,
    async expiring(now, limit) {
      return db
        .selectFrom('vector_stores')
        .select(['project', 'id'])
        .where('status', '=', 'active')
        .where('expires_at', '<=', now)
        .orderBy('expires_at')
        .limit(limit)
        .execute();
    },
  };
}
