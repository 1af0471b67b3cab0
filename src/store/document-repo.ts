import type { Kysely } from 'kysely';
import { BadRequestError } from '../domain/errors.js';
import type { DocumentRepo, Page, PageQuery, Scope } from './store.js';

/**
 * Maps a wire object to the values of its table's extra columns (thread_id, purpose, ...), so the columns a
 * resource is filtered by always agree with its JSON.
 */
export type ColumnsOf<T> = (doc: T) => Record<string, string | number | null>;

/** One generic repository for every table shaped (id, project, created_at, data, ...columns). */
export function createDocumentRepo<T extends { id: string; created_at: number }>(
  db: Kysely<any>,
  table: string,
  columnsOf: ColumnsOf<T> = () => ({}),
): DocumentRepo<T> {
  const parse = (row: { data: string }) => JSON.parse(row.data) as T;

  function scoped(project: string, scope: Scope = {}) {
    let query = db.selectFrom(table).where('project', '=', project);
    for (const [column, value] of Object.entries(scope)) {
      query = value === null ? query.where(column, 'is', null) : query.where(column, '=', value);
    }
    return query;
  }

  async function cursor(project: string, id: string, param: 'after' | 'before') {
    const row = await db
      .selectFrom(table)
      .select(['created_at', 'id'])
      .where('project', '=', project)
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row) throw new BadRequestError(`Invalid '${param}': no object with id '${id}' in this list.`, param);
    return row as { created_at: number; id: string };
  }

  return {
    async insert(project, doc) {
      await db
        .insertInto(table)
        .values({ id: doc.id, project, created_at: doc.created_at, data: JSON.stringify(doc), ...columnsOf(doc) })
        .execute();
    },

    async get(project, id) {
      const row = await db.selectFrom(table).select('data').where('id', '=', id).where('project', '=', project).executeTakeFirst();
      return row ? parse(row) : undefined;
    },

    async replace(project, doc) {
      const result = await db
        .updateTable(table)
        .set({ data: JSON.stringify(doc), ...columnsOf(doc) })
        .where('id', '=', doc.id)
        .where('project', '=', project)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },

    async delete(project, id) {
      const result = await db.deleteFrom(table).where('id', '=', id).where('project', '=', project).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    },

    async deleteWhere(project, scope) {
      let query = db.deleteFrom(table).where('project', '=', project);
      for (const [column, value] of Object.entries(scope)) query = query.where(column, '=', value);
      const result = await query.executeTakeFirst();
      return Number(result.numDeletedRows);
    },

    async list(project, page: PageQuery, scope): Promise<Page<T>> {
      // `before` walks backwards from the cursor, so it reads in the opposite order and flips the result.
      const backwards = page.before !== undefined && page.after === undefined;
      const descending = (page.order === 'desc') !== backwards;
      let query = scoped(project, scope).select('data');
      if (page.after !== undefined) {
        const c = await cursor(project, page.after, 'after');
        const op = page.order === 'desc' ? '<' : '>';
        query = query.where((eb) => eb(eb.refTuple('created_at', 'id'), op, eb.tuple(c.created_at, c.id)));
      }
      if (page.before !== undefined) {
        const c = await cursor(project, page.before, 'before');
        const op = page.order === 'desc' ? '>' : '<';
        query = query.where((eb) => eb(eb.refTuple('created_at', 'id'), op, eb.tuple(c.created_at, c.id)));
      }
      const direction = descending ? 'desc' : 'asc';
      const rows = await query.orderBy('created_at', direction).orderBy('id', direction).limit(page.limit + 1).execute();
      const has_more = rows.length > page.limit;
      const data = rows.slice(0, page.limit).map(parse);
      if (backwards) data.reverse();
      return { data, has_more };
    },

    async count(project, scope) {
      const row = await scoped(project, scope).select((eb) => eb.fn.countAll().as('n')).executeTakeFirst();
      return Number((row as { n: number | string } | undefined)?.n ?? 0);
    },
  };
}
