import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

/** A named script as stored. The store keeps the script's JSON as given; the scripted model validates it. */
export interface StoredScript {
  name: string;
  script: unknown;
  created_at: number;
  updated_at: number;
}

/**
 * Named scripts for the scripted model. Server-wide rather than per project: a run's model name is all the
 * model registry sees, as with the config file's model routes.
 */
export interface ScriptsRepo {
  /** Creates or replaces; a replaced script keeps its created_at. */
  put(name: string, script: unknown, at: number): Promise<StoredScript>;
  get(name: string): Promise<StoredScript | undefined>;
  /** By name, keyset-paginated on the name. */
  list(page: { limit: number; order: 'asc' | 'desc'; after?: string }): Promise<{ data: StoredScript[]; has_more: boolean }>;
  delete(name: string): Promise<boolean>;
}

interface Row {
  name: string;
  data: string;
  created_at: number | string;
  updated_at: number | string;
}

// Postgres returns bigint columns as strings.
const toScript = (row: Row): StoredScript => ({
  name: row.name,
  script: JSON.parse(row.data),
  created_at: Number(row.created_at),
  updated_at: Number(row.updated_at),
});

export function createScriptsRepo(db: Kysely<Database>): ScriptsRepo {
  const columns = ['name', 'data', 'created_at', 'updated_at'] as const;
  return {
    async put(name, script, at) {
      const data = JSON.stringify(script);
      const row = await db
        .insertInto('scripts')
        .values({ name, data, created_at: at, updated_at: at })
        .onConflict((oc) => oc.column('name').doUpdateSet({ data, updated_at: at }))
        .returning(columns)
        .executeTakeFirstOrThrow();
      return toScript(row);
    },
    async get(name) {
      const row = await db.selectFrom('scripts').select(columns).where('name', '=', name).executeTakeFirst();
      return row ? toScript(row) : undefined;
    },
    async list({ limit, order, after }) {
      let query = db.selectFrom('scripts').select(columns).orderBy('name', order).limit(limit + 1);
      if (after !== undefined) query = query.where('name', order === 'asc' ? '>' : '<', after);
      const rows = await query.execute();
      return { data: rows.slice(0, limit).map(toScript), has_more: rows.length > limit };
    },
    async delete(name) {
      const result = await db.deleteFrom('scripts').where('name', '=', name).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    },
  };
}
