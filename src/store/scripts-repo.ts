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
 * Named scripts for the scripted model, each in one project: a key sees and changes only its project's.
 * (Server-wide scripts come from the config file, not from here.)
 */
export interface ScriptsRepo {
  /** Creates or replaces; a replaced script keeps its created_at. */
  put(project: string, name: string, script: unknown, at: number): Promise<StoredScript>;
  get(project: string, name: string): Promise<StoredScript | undefined>;
  /** By name, keyset-paginated on the name. */
  list(project: string, page: { limit: number; order: 'asc' | 'desc'; after?: string }): Promise<{ data: StoredScript[]; has_more: boolean }>;
  delete(project: string, name: string): Promise<boolean>;
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
    async put(project, name, script, at) {
      const data = JSON.stringify(script);
      const row = await db
        .insertInto('scripts')
        .values({ project, name, data, created_at: at, updated_at: at })
        .onConflict((oc) => oc.columns(['project', 'name']).doUpdateSet({ data, updated_at: at }))
        .returning(columns)
        .executeTakeFirstOrThrow();
      return toScript(row);
    },
    async get(project, name) {
      const row = await db.selectFrom('scripts').select(columns).where('project', '=', project).where('name', '=', name).executeTakeFirst();
      return row ? toScript(row) : undefined;
    },
    async list(project, { limit, order, after }) {
      let query = db.selectFrom('scripts').select(columns).where('project', '=', project).orderBy('name', order).limit(limit + 1);
      if (after !== undefined) query = query.where('name', order === 'asc' ? '>' : '<', after);
      const rows = await query.execute();
      return { data: rows.slice(0, limit).map(toScript), has_more: rows.length > limit };
    },
    async delete(project, name) {
      const result = await db.deleteFrom('scripts').where('project', '=', project).where('name', '=', name).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    },
  };
}
