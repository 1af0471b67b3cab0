import { z } from 'zod';
import { NotFoundError } from '../../domain/errors.js';
import { nowSeconds } from '../../domain/ids.js';
import { toListPage } from '../pagination.js';
import { route } from '../route.js';
import { checkImageFiles, inputItemSchema, toStoredItem } from '../responses/input-items.js';
import { getConversation } from './conversations.js';
import { itemView, itemsView } from '../../engine/responses/response-includes.js';
import { includeQueryParams, queryIncludes } from '../responses/include-query.js';

const createBody = z.object({ items: z.array(inputItemSchema).min(1).max(20) });

// `include` shows the fields of built-in tool items kept for the model (file_search results, code outputs).
const includeQuery = z.object(includeQueryParams);
const listQuery = includeQuery.extend({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  order: z.enum(['asc', 'desc']).default('desc'),
  after: z.string().min(1).optional(),
});

export const conversationItemRoutes = [
  route({
    method: 'POST',
    path: '/conversations/:conversation_id/items',
    summary: 'Create conversation items',
    body: createBody,
    query: includeQuery,
    async handler({ params, body, query, project }, { store }) {
      const conversation = await getConversation(store, project, params.conversation_id!);
      const items = body.items.map(toStoredItem);
      await checkImageFiles(store, project, items, 'items');
      await store.conversationItems.append(project, conversation.id, items, nowSeconds());
      return { object: 'list', data: itemsView(items, queryIncludes(query)), first_id: items[0]!.id, last_id: items.at(-1)!.id, has_more: false };
    },
  }),
  route({
    method: 'GET',
    path: '/conversations/:conversation_id/items',
    summary: 'List conversation items',
    query: listQuery,
    async handler({ params, query, project }, { store }) {
      const conversation = await getConversation(store, project, params.conversation_id!);
      const { limit, order, after } = query;
      const page = await store.conversationItems.list(project, conversation.id, { limit, order, after });
      return toListPage(page, (item) => itemView(item, queryIncludes(query)));
    },
  }),
  route({
    method: 'GET',
    path: '/conversations/:conversation_id/items/:item_id',
    summary: 'Retrieve conversation item',
    query: includeQuery,
    async handler({ params, query, project }, { store }) {
      const conversation = await getConversation(store, project, params.conversation_id!);
      const item = await store.conversationItems.get(project, conversation.id, params.item_id!);
      if (!item) throw new NotFoundError(`Item with id '${params.item_id}' not found.`, 'item_id');
      return itemView(item, queryIncludes(query));
    },
  }),
  route({
    method: 'DELETE',
    path: '/conversations/:conversation_id/items/:item_id',
    summary: 'Delete conversation item',
    async handler({ params, project }, { store }) {
      const conversation = await getConversation(store, project, params.conversation_id!);
      if (!(await store.conversationItems.delete(project, conversation.id, params.item_id!))) throw new NotFoundError(`Item with id '${params.item_id}' not found.`, 'item_id');
      return conversation;
    },
  }),
];
