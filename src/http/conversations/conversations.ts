import { z } from 'zod';
import { NotFoundError } from '../../domain/errors.js';
import { ID_PREFIX, newId, nowSeconds } from '../../domain/ids.js';
import type { Conversation } from '../../domain/responses.js';
import { threadItems } from '../../engine/responses/thread-items.js';
import type { Store } from '../../store/store.js';
import { getThread } from '../threads.js';
import { route } from '../route.js';
import { metadataSchema } from '../schemas.js';
import { checkImageFiles, inputItemSchema, toStoredItem } from '../responses/input-items.js';

export async function getConversation(store: Store, project: string, id: string): Promise<Conversation> {
  const conversation = await store.conversations.get(project, id);
  if (!conversation) throw new NotFoundError(`Conversation with id '${id}' not found.`, 'conversation_id');
  return conversation;
}

/** A new conversation and its first items, written together. */
async function createConversation(store: Store, project: string, metadata: Conversation['metadata'], items: StoredItems): Promise<Conversation> {
  const conversation: Conversation = { id: newId(ID_PREFIX.conversation), object: 'conversation', created_at: nowSeconds(), metadata };
  await store.transaction(async (tx) => {
    await tx.conversations.insert(project, conversation);
    await tx.conversationItems.append(project, conversation.id, items, conversation.created_at);
  });
  return conversation;
}

type StoredItems = Parameters<Store['conversationItems']['append']>[2];

const createBody = z.object({ items: z.array(inputItemSchema).max(20).nullable().optional(), metadata: metadataSchema.optional() });
const updateBody = z.object({ metadata: metadataSchema });
const fromThreadBody = z.object({ thread_id: z.string().min(1), metadata: metadataSchema.optional() });

export const conversationRoutes = [
  route({
    method: 'POST',
    path: '/conversations',
    summary: 'Create conversation',
    body: createBody,
    async handler({ body, project }, { store }) {
      const items = (body.items ?? []).map(toStoredItem);
      await checkImageFiles(store, project, items, 'items');
      return createConversation(store, project, body.metadata ?? {}, items);
    },
  }),
  route({
    method: 'POST',
    path: '/conversations/from_thread',
    summary: 'Create conversation from thread',
    body: fromThreadBody,
    async handler({ body, project }, { store }) {
      const thread = await getThread(store, project, body.thread_id);
      return createConversation(store, project, body.metadata ?? thread.metadata, await threadItems(store, project, thread.id));
    },
  }),
  route({
    method: 'GET',
    path: '/conversations/:conversation_id',
    summary: 'Retrieve conversation',
    async handler({ params, project }, { store }) {
      return getConversation(store, project, params.conversation_id!);
    },
  }),
  route({
    method: 'POST',
    path: '/conversations/:conversation_id',
    summary: 'Update conversation',
    body: updateBody,
    async handler({ params, body, project }, { store }) {
      const updated = { ...(await getConversation(store, project, params.conversation_id!)), metadata: body.metadata };
      if (!(await store.conversations.replace(project, updated))) throw new NotFoundError(`Conversation with id '${updated.id}' not found.`, 'conversation_id');
      return updated;
    },
  }),
  route({
    method: 'DELETE',
    path: '/conversations/:conversation_id',
    summary: 'Delete conversation',
    async handler({ params, project }, { store }) {
      const id = params.conversation_id!;
      const deleted = await store.transaction(async (tx) => {
        await tx.conversationItems.deleteAll(project, id);
        return tx.conversations.delete(project, id);
      });
      if (!deleted) throw new NotFoundError(`Conversation with id '${id}' not found.`, 'conversation_id');
      return { id, object: 'conversation.deleted', deleted: true };
    },
  }),
];
