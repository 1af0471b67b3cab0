import type { Kysely } from 'kysely';
import { BadRequestError } from '../domain/errors.js';
import type { ResponseItem } from '../domain/responses.js';
import type { Page, StoreCapabilities } from './store.js';

/** A page of a conversation's items: keyset on the item's position, `after` names an item id. */
export interface ItemPageQuery {
  limit: number;
  order: 'asc' | 'desc';
  after?: string;
}

/**
 * The items of conversations, in the order they were added. Positions number a conversation's items; an item
 * keeps its id (a response's output item is the same item in the conversation).
 */
export interface ConversationItemsRepo {
  /**
   * Adds items at the end, in order; holds the conversation while it counts, so appends never interleave. Adds
   * nothing to a conversation that does not exist.
   */
  append(project: string, conversationId: string, items: ResponseItem[], createdAt: number): Promise<void>;
  list(project: string, conversationId: string, page: ItemPageQuery): Promise<Page<ResponseItem>>;
  get(project: string, conversationId: string, itemId: string): Promise<ResponseItem | undefined>;
  delete(project: string, conversationId: string, itemId: string): Promise<boolean>;
  deleteAll(project: string, conversationId: string): Promise<number>;
}

export function createConversationItemsRepo(db: Kysely<any>, capabilities: StoreCapabilities): ConversationItemsRepo {
  const items = (project: string, conversationId: string) =>
    db.selectFrom('conversation_items').where('project', '=', project).where('conversation_id', '=', conversationId);

  async function append(tx: Kysely<any>, project: string, conversationId: string, list: ResponseItem[], createdAt: number) {
    // SQLite runs one write transaction at a time already; Postgres needs the row lock to serialize. A
    // conversation deleted meanwhile (while a response ran) gets nothing.
    const query = tx.selectFrom('conversations').select('id').where('id', '=', conversationId).where('project', '=', project);
    if (!(await (capabilities.skipLocked ? query.forUpdate() : query).executeTakeFirst())) return;
    const last = await tx.selectFrom('conversation_items').where('conversation_id', '=', conversationId).select((eb) => eb.fn.max('position').as('p')).executeTakeFirst();
    let position = Number(last?.p ?? -1);
    for (const item of list) {
      position += 1;
      await tx
        .insertInto('conversation_items')
        .values({ project, conversation_id: conversationId, position, id: item.id, created_at: createdAt, data: JSON.stringify(item) })
        .execute();
    }
  }

  return {
    async append(project, conversationId, list, createdAt) {
      if (list.length === 0) return;
      if (db.isTransaction) return append(db, project, conversationId, list, createdAt);
      await db.transaction().execute((trx) => append(trx, project, conversationId, list, createdAt));
    },
    async list(project, conversationId, page) {
      let query = items(project, conversationId).select('data');
      if (page.after !== undefined) {
        const cursor = await items(project, conversationId).select('position').where('id', '=', page.after).orderBy('position').executeTakeFirst();
        if (!cursor) throw new BadRequestError(`Invalid 'after': no item with id '${page.after}' in this conversation.`, 'after');
        query = query.where('position', page.order === 'asc' ? '>' : '<', Number(cursor.position));
      }
      const rows = await query.orderBy('position', page.order).limit(page.limit + 1).execute();
      return { data: rows.slice(0, page.limit).map((r) => JSON.parse(r.data) as ResponseItem), has_more: rows.length > page.limit };
    },
    async get(project, conversationId, itemId) {
      const row = await items(project, conversationId).select('data').where('id', '=', itemId).orderBy('position').executeTakeFirst();
      return row ? (JSON.parse(row.data) as ResponseItem) : undefined;
    },
    async delete(project, conversationId, itemId) {
      const result = await db
        .deleteFrom('conversation_items')
        .where('project', '=', project)
        .where('conversation_id', '=', conversationId)
        .where('id', '=', itemId)
        .executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    },
    async deleteAll(project, conversationId) {
      const result = await db.deleteFrom('conversation_items').where('project', '=', project).where('conversation_id', '=', conversationId).executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}
