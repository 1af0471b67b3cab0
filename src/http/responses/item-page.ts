import { BadRequestError } from '../../domain/errors.js';
import type { ResponseItem } from '../../domain/responses.js';
import type { ListPage } from '../../domain/types.js';

/**
 * One page of a response's input items. They are stored with the response (bounded by the request size), so
 * the page is cut from the list by position; `after` and `before` name items.
 */
export function pageOfItems(items: ResponseItem[], query: { limit: number; order: 'asc' | 'desc'; after?: string; before?: string }): ListPage<ResponseItem> {
  const ordered = query.order === 'asc' ? items : [...items].reverse();
  const find = (id: string, param: string) => {
    const index = ordered.findIndex((item) => item.id === id);
    if (index < 0) throw new BadRequestError(`Invalid '${param}': no item with id '${id}' in this list.`, param);
    return index;
  };
  const start = query.after !== undefined ? find(query.after, 'after') + 1 : 0;
  const end = query.before !== undefined ? find(query.before, 'before') : ordered.length;
  const window = ordered.slice(start, Math.max(start, end));
  // `before` alone pages backwards: the items right before the cursor.
  const data = query.before !== undefined && query.after === undefined ? window.slice(-query.limit) : window.slice(0, query.limit);
  return { object: 'list', data, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null, has_more: data.length < window.length };
}
