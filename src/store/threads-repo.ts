import { sql, type Kysely } from 'kysely';
import { BadRequestError } from '../domain/errors.js';
import type { Thread } from '../domain/types.js';
import { createDocumentRepo } from './document-repo.js';
import type { DocumentRepo, Page, PageQuery, StoreCapabilities } from './store.js';

/** What a thread list may be narrowed to: metadata values (all must match) and a creation window in seconds. */
export interface ThreadFilter {
  metadata: Record<string, string>;
  createdAfter?: number;
  createdBefore?: number;
}

export interface ThreadsRepo extends DocumentRepo<Thread> {
  /** A page of the project's threads matching the filter, keyset paginated over (created_at, id). */
  find(project: string, page: PageQuery, filter: ThreadFilter): Promise<Page<Thread>>;
}

async function cursorOf(db: Kysely<any>, project: string, id: string, param: 'after' | 'before') {
  const row = await db.selectFrom('threads').select(['created_at', 'id']).where('project', '=', project).where('id', '=', id).executeTakeFirst();
  if (!row) throw new BadRequestError(`Invalid '${param}': no thread with id '${id}' in this project.`, param);
  return row as { created_at: number; id: string };
}

/**
 * Metadata is matched inside the stored JSON: the scan walks the (project, created_at, id) index and tests each
 * row, which is cheap for a project's threads and needs no column kept in step with the document.
 */
function metadataMatch(dialect: StoreCapabilities['dialect'], metadata: Record<string, string>) {
  if (dialect === 'postgres') return sql<boolean>`(data::jsonb -> 'metadata') @> ${JSON.stringify(metadata)}::jsonb`;
  // json_each compares keys as given, so keys with dots or quotes need no path escaping.
  const tests = Object.entries(metadata).map(
    ([key, value]) => sql`exists (select 1 from json_each(data, '$.metadata') where key = ${key} and value = ${value} and type = 'text')`,
  );
  return sql<boolean>`${sql.join(tests, sql` and `)}`;
}

export function createThreadsRepo(db: Kysely<any>, dialect: StoreCapabilities['dialect']): ThreadsRepo {
  return {
    ...createDocumentRepo<Thread>(db, 'threads'),
    async find(project, page, filter) {
      // `before` walks backwards from the cursor, so it reads in the opposite order and flips the result.
      const backwards = page.before !== undefined && page.after === undefined;
      const direction = (page.order === 'desc') !== backwards ? 'desc' : 'asc';
      const after = page.after !== undefined ? await cursorOf(db, project, page.after, 'after') : undefined;
      const before = page.before !== undefined ? await cursorOf(db, project, page.before, 'before') : undefined;
      let query = db.selectFrom('threads').select('data').where('project', '=', project);
      if (after) query = query.where((eb) => eb(eb.refTuple('created_at', 'id'), page.order === 'desc' ? '<' : '>', eb.tuple(after.created_at, after.id)));
      if (before) query = query.where((eb) => eb(eb.refTuple('created_at', 'id'), page.order === 'desc' ? '>' : '<', eb.tuple(before.created_at, before.id)));
      if (filter.createdAfter !== undefined) query = query.where('created_at', '>', filter.createdAfter);
      if (filter.createdBefore !== undefined) query = query.where('created_at', '<', filter.createdBefore);
      if (Object.keys(filter.metadata).length > 0) query = query.where(metadataMatch(dialect, filter.metadata));
      const rows = (await query.orderBy('created_at', direction).orderBy('id', direction).limit(page.limit + 1).execute()) as Array<{ data: string }>;
      const data = rows.slice(0, page.limit).map((row) => JSON.parse(row.data) as Thread);
      if (backwards) data.reverse();
      return { data, has_more: rows.length > page.limit };
    },
  };
}
