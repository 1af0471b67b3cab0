import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

/** An API key as listed: never the secret, only its hint. */
export interface ApiKeyInfo {
  id: string;
  project: string;
  name: string;
  hint: string;
  created_at: number;
  revoked_at: number | null;
}

/** API keys, stored as sha256 hashes of the secret. */
export interface KeysRepo {
  insert(key: ApiKeyInfo & { hash: string }): Promise<void>;
  /** The active key with this hash, if any. */
  findActive(hash: string): Promise<ApiKeyInfo | undefined>;
  list(): Promise<ApiKeyInfo[]>;
  revoke(id: string, at: number): Promise<boolean>;
  countActive(): Promise<number>;
}

export function createKeysRepo(db: Kysely<Database>): KeysRepo {
  const columns = ['id', 'project', 'name', 'hint', 'created_at', 'revoked_at'] as const;
  return {
    async insert(key) {
      await db.insertInto('api_keys').values(key).execute();
    },
    async findActive(hash) {
      return db.selectFrom('api_keys').select(columns).where('hash', '=', hash).where('revoked_at', 'is', null).executeTakeFirst();
    },
    async list() {
      return db.selectFrom('api_keys').select(columns).orderBy('created_at').orderBy('id').execute();
    },
    async revoke(id, at) {
      const result = await db.updateTable('api_keys').set({ revoked_at: at }).where('id', '=', id).where('revoked_at', 'is', null).executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },
    async countActive() {
      const row = await db.selectFrom('api_keys').select((eb) => eb.fn.countAll().as('n')).where('revoked_at', 'is', null).executeTakeFirst();
      return Number(row?.n ?? 0);
    },
  };
}
