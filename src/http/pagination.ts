import { z } from 'zod';
import type { ListPage } from '../domain/types.js';
import type { Page, PageQuery } from '../store/store.js';

/** The list parameters every list endpoint shares; `maxLimit` and `defaultLimit` vary only for files. */
export function listQuery(options: { maxLimit?: number; defaultLimit?: number } = {}) {
  return z.object({
    limit: z.coerce.number().int().min(1).max(options.maxLimit ?? 100).default(options.defaultLimit ?? 20),
    order: z.enum(['asc', 'desc']).default('desc'),
    after: z.string().min(1).optional(),
    before: z.string().min(1).optional(),
  });
}

export function pageQuery(q: { limit: number; order: 'asc' | 'desc'; after?: string; before?: string }): PageQuery {
  return { limit: q.limit, order: q.order, after: q.after, before: q.before };
}

/** The list envelope of the API. */
export function toListPage<T extends { id: string }, R = T>(page: Page<T>, map: (item: T) => R = (x) => x as unknown as R): ListPage<R> {
  return {
    object: 'list',
    data: page.data.map(map),
    first_id: page.data[0]?.id ?? null,
    last_id: page.data[page.data.length - 1]?.id ?? null,
    has_more: page.has_more,
  };
}
