import { sql, type Kysely } from 'kysely';
import { BadRequestError } from '../domain/errors.js';
import { runCompiled } from './compiled-statements.js';
import { STALE_CHECK } from './stale-write.js';
import type { DocumentRepo, Page, PageQuery, Scope } from './store.js';

/**
 * Maps a wire object to the values of its table's extra columns (thread_id, purpose, ...), so the columns a
 * resource is filtered by always agree with its JSON.
 */
export type ColumnsOf<T> = (doc: T) => Record<string, string | number | null>;

/** The scope's filters as a statement-shape key plus the parameters they bind (`is null` binds none). */
function scopeShape(scope: Scope) {
  const entries = Object.entries(scope);
  return { key: entries.map(([column, value]) => (value === null ? `${column}:null` : column)).join(','), values: entries.flatMap(([, value]) => (value === null ? [] : [value])) };
}

function scoped(db: Kysely<any>, table: string, project: string, scope: Scope) {
  let query = db.selectFrom(table).where('project', '=', project);
  for (const [column, value] of Object.entries(scope)) {
    query = value === null ? query.where(column, 'is', null) : query.where(column, '=', value);
  }
  return query;
}

/** A row's column values; absent (undefined) ones are left out, as Kysely leaves them out of the SQL. */
function defined(values: Array<[string, unknown]>): Array<[string, unknown]> {
  return values.filter(([, value]) => value !== undefined);
}

const shapeOf = (values: Array<[string, unknown]>) => values.map(([column]) => column).join(',');

async function cursor(db: Kysely<any>, table: string, project: string, id: string, param: 'after' | 'before') {
  const { rows } = await runCompiled<{ created_at: number; id: string }>(
    db,
    `${table}:cursor`,
    () => db.selectFrom(table).select(['created_at', 'id']).where('project', '=', project).where('id', '=', id),
    [project, id],
  );
  if (!rows[0]) throw new BadRequestError(`Invalid '${param}': no object with id '${id}' in this list.`, param);
  return rows[0];
}

/**
 * What an UPDATE of `doc` sets: its JSON and its columns, but for the `fixed` ones (SQLite rewrites an index
 * entry for every column an UPDATE sets, changed or not).
 */
function updatedValues<T>(columnsOf: ColumnsOf<T>, fixed: ReadonlySet<string>, doc: T): Array<[string, unknown]> {
  return defined([['data', JSON.stringify(doc)], ...Object.entries(columnsOf(doc)).filter(([column]) => !fixed.has(column))]);
}

/** The UPDATE of one document, only where its stored JSON is still `stored` when that is given. */
function updating(db: Kysely<any>, table: string, values: Array<[string, unknown]>, project: string, id: string, stored?: string) {
  const query = db.updateTable(table).set(Object.fromEntries(values)).where('id', '=', id).where('project', '=', project);
  return stored === undefined ? query : query.where('data', '=', stored);
}

/** The UPDATE behind replace and overwrite: one compiled statement per shape, the same for both. */
function update<T extends { id: string }>(db: Kysely<any>, table: string, columnsOf: ColumnsOf<T>, fixed: ReadonlySet<string>, project: string, doc: T, unread: boolean) {
  const values = updatedValues(columnsOf, fixed, doc);
  const parameters = [...values.map(([, value]) => value), doc.id, project];
  return runCompiled(db, `${table}:replace:${shapeOf(values)}`, () => updating(db, table, values, project, doc.id), parameters, { unread });
}

/** The UPDATE behind replaceIf: update's, only where the stored JSON is still `expected`'s. */
function updateIf<T extends { id: string }>(db: Kysely<any>, table: string, columnsOf: ColumnsOf<T>, fixed: ReadonlySet<string>, project: string, doc: T, expected: T) {
  const values = updatedValues(columnsOf, fixed, doc);
  const stored = JSON.stringify(expected);
  const parameters = [...values.map(([, value]) => value), doc.id, project, stored];
  return runCompiled(db, `${table}:replace-if:${shapeOf(values)}`, () => updating(db, table, values, project, doc.id, stored), parameters);
}

/** updateIf that fails the transaction instead of answering (see DocumentRepo.replaceIfAtCommit; Postgres only). */
function updateIfAtCommit<T extends { id: string }>(db: Kysely<any>, table: string, columnsOf: ColumnsOf<T>, fixed: ReadonlySet<string>, project: string, doc: T, expected: T) {
  const values = updatedValues(columnsOf, fixed, doc);
  const stored = JSON.stringify(expected);
  const parameters = [...values.map(([, value]) => value), doc.id, project, stored];
  const build = () =>
    db
      .with('changed', () => updating(db, table, values, project, doc.id, stored).returning(sql`1`.as('one')))
      .selectFrom('changed')
      .select(sql.raw(STALE_CHECK).as('stale'));
  return runCompiled(db, `${table}:replace-if-at-commit:${shapeOf(values)}`, build, parameters, { unread: true });
}

// A repository may be built for every transaction (Kysely's own; direct transactions keep theirs), so the
// factory only closes over its arguments: the helpers above live at module level and the statements they run
// are compiled once (compiled-statements.ts).

const NONE: ReadonlySet<string> = new Set();

/**
 * One generic repository for every table shaped (id, project, created_at, data, ...columns). `fixed`: columns
 * whose value never changes once inserted (a message's thread), which replace and overwrite do not write.
 */
export function createDocumentRepo<T extends { id: string; created_at: number }>(
  db: Kysely<any>,
  table: string,
  columnsOf: ColumnsOf<T> = () => ({}),
  fixed: ReadonlySet<string> = NONE,
  /** Offer replaceIfAtCommit: the driver holds unread statements until the commit (Postgres). */
  atCommit = false,
): DocumentRepo<T> {
  return {
    ...(atCommit
      ? {
          async replaceIfAtCommit(project: string, doc: T, expected: T) {
            await updateIfAtCommit(db, table, columnsOf, fixed, project, doc, expected);
          },
        }
      : {}),
    async insert(project, doc) {
      const values = defined([['id', doc.id], ['project', project], ['created_at', doc.created_at], ['data', JSON.stringify(doc)], ...Object.entries(columnsOf(doc))]);
      await runCompiled(db, `${table}:insert:${shapeOf(values)}`, () => db.insertInto(table).values(Object.fromEntries(values)), values.map(([, value]) => value));
    },

    async get(project, id) {
      const { rows } = await runCompiled<{ data: string }>(db, `${table}:get`, () => db.selectFrom(table).select('data').where('id', '=', id).where('project', '=', project), [id, project]);
      return rows[0] ? (JSON.parse(rows[0].data) as T) : undefined;
    },

    async replace(project, doc) {
      return Number((await update(db, table, columnsOf, fixed, project, doc, false)).numAffectedRows ?? 0) > 0;
    },

    async replaceIf(project, doc, expected) {
      return Number((await updateIf(db, table, columnsOf, fixed, project, doc, expected)).numAffectedRows ?? 0) > 0;
    },

    async overwrite(project, doc) {
      await update(db, table, columnsOf, fixed, project, doc, true);
    },

    async delete(project, id) {
      const result = await runCompiled(db, `${table}:delete`, () => db.deleteFrom(table).where('id', '=', id).where('project', '=', project), [id, project]);
      return Number(result.numAffectedRows ?? 0) > 0;
    },

    async deleteWhere(project, scope) {
      let query = db.deleteFrom(table).where('project', '=', project);
      for (const [column, value] of Object.entries(scope)) query = query.where(column, '=', value);
      const result = await query.executeTakeFirst();
      return Number(result.numDeletedRows);
    },

    async list(project, page: PageQuery, scope = {}): Promise<Page<T>> {
      // `before` walks backwards from the cursor, so it reads in the opposite order and flips the result.
      const backwards = page.before !== undefined && page.after === undefined;
      const direction = (page.order === 'desc') !== backwards ? 'desc' : 'asc';
      const after = page.after !== undefined ? await cursor(db, table, project, page.after, 'after') : undefined;
      const before = page.before !== undefined ? await cursor(db, table, project, page.before, 'before') : undefined;
      const filters = scopeShape(scope);
      const { rows } = await runCompiled<{ data: string }>(
        db,
        // The limit is part of the text, not a parameter: see inline-limit-plugin.ts.
        `${table}:list:${filters.key}:${after ? 'after' : ''}:${before ? 'before' : ''}:${page.order}:${direction}:${page.limit + 1}`,
        () => {
          let query = scoped(db, table, project, scope).select('data');
          if (after) query = query.where((eb) => eb(eb.refTuple('created_at', 'id'), page.order === 'desc' ? '<' : '>', eb.tuple(after.created_at, after.id)));
          if (before) query = query.where((eb) => eb(eb.refTuple('created_at', 'id'), page.order === 'desc' ? '>' : '<', eb.tuple(before.created_at, before.id)));
          return query.orderBy('created_at', direction).orderBy('id', direction).limit(sql.lit(page.limit + 1));
        },
        [project, ...filters.values, ...(after ? [after.created_at, after.id] : []), ...(before ? [before.created_at, before.id] : [])],
      );
      const has_more = rows.length > page.limit;
      const data = rows.slice(0, page.limit).map((row) => JSON.parse(row.data) as T);
      if (backwards) data.reverse();
      return { data, has_more };
    },

    async count(project, scope = {}) {
      const filters = scopeShape(scope);
      const { rows } = await runCompiled<{ n: number | string }>(
        db,
        `${table}:count:${filters.key}`,
        () => scoped(db, table, project, scope).select((eb) => eb.fn.countAll().as('n')),
        [project, ...filters.values],
      );
      return Number(rows[0]?.n ?? 0);
    },
  };
}
