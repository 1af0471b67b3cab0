import type { Kysely } from 'kysely';

/** The tables whose ids are global (one primary key across projects), so an imported id can collide. */
export type IdTable = 'assistants' | 'threads' | 'messages' | 'runs' | 'run_steps' | 'files' | 'vector_stores';

// Ids per query: well under SQLite's bound-parameter limit.
const BATCH = 500;

/** Which project holds each of `ids` in `table`; ids held by none are absent from the map. */
export async function idOwners(db: Kysely<any>, table: IdTable, ids: string[]): Promise<Map<string, string>> {
  const owners = new Map<string, string>();
  for (let start = 0; start < ids.length; start += BATCH) {
    const rows: Array<{ id: string; project: string }> = await db
      .selectFrom(table)
      .select(['id', 'project'])
      .where('id', 'in', ids.slice(start, start + BATCH))
      .execute();
    for (const row of rows) owners.set(row.id, row.project);
  }
  return owners;
}
