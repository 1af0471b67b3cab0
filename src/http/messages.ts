import { z } from 'zod';
import { notFound } from '../domain/errors.js';
import { buildMessage } from '../domain/messages.js';
import type { Message } from '../domain/types.js';
import { assertThreadUnlocked, refusedIfLocked } from '../engine/runs/thread-lock.js';
import type { Store } from '../store/store.js';
import { modify } from './modify.js';
import { listQuery, pageQuery, toListPage } from './pagination.js';
import { ensureFilesExist } from './references.js';
import { route } from './route.js';
import { addAttachmentsToThreadStore } from './thread-vector-store.js';
import { messageInputSchema, metadataSchema, type MessageInput } from './schemas.js';
import { getThread } from './threads.js';
import { messageView } from './v1-shapes.js';

/**
 * Files a message refers to must exist, except legacy `file_ids`: the seed's own example passes a placeholder
 * string there, and the tools skip a file they cannot find rather than fail the message.
 */
export async function checkMessageFiles(store: Store, project: string, message: MessageInput, prefix = ''): Promise<void> {
  const attached = (message.attachments ?? []).map((a) => a.file_id);
  await ensureFilesExist(store, project, attached, prefix ? `${prefix}.attachments` : 'attachments');
  if (Array.isArray(message.content)) {
    const images = message.content.flatMap((part) => (part.type === 'image_file' ? [part.image_file.file_id] : []));
    await ensureFilesExist(store, project, images, prefix ? `${prefix}.content.image_file.file_id` : 'content.image_file.file_id');
  }
}

export async function getMessage(store: Store, project: string, threadId: string, id: string): Promise<Message> {
  const message = await store.messages.get(project, id);
  if (!message || message.thread_id !== threadId) throw notFound('message', id);
  return message;
}

export const messageRoutes = [
  route({
    method: 'POST',
    path: '/threads/:thread_id/messages',
    summary: 'Create message',
    body: messageInputSchema,
    async handler({ params, body, project, shape }, deps) {
      const { store } = deps;
      const thread = await getThread(store, project, params.thread_id!);
      await checkMessageFiles(store, project, body);
      const message = buildMessage(thread.id, body);
      await refusedIfLocked(
        thread.id,
        store.transaction(async (tx) => {
          await assertThreadUnlocked(tx, project, thread.id, 'shared');
          await tx.messages.insert(project, message);
        }),
      );
      if (message.attachments?.length) await addAttachmentsToThreadStore(deps, project, thread.id, [message]);
      return messageView(message, shape);
    },
  }),
  route({
    method: 'GET',
    path: '/threads/:thread_id/messages',
    summary: 'List messages',
    query: listQuery().extend({ run_id: z.string().min(1).optional() }),
    async handler({ params, query, project, shape }, { store }) {
      const thread = await getThread(store, project, params.thread_id!);
      const scope = { thread_id: thread.id, ...(query.run_id ? { run_id: query.run_id } : {}) };
      const page = await store.messages.list(project, pageQuery(query), scope);
      return toListPage(page, (m) => messageView(m, shape));
    },
  }),
  route({
    method: 'GET',
    path: '/threads/:thread_id/messages/:message_id',
    summary: 'Retrieve message',
    async handler({ params, project, shape }, { store }) {
      return messageView(await getMessage(store, project, params.thread_id!, params.message_id!), shape);
    },
  }),
  route({
    method: 'POST',
    path: '/threads/:thread_id/messages/:message_id',
    summary: 'Modify message',
    body: z.object({ metadata: metadataSchema.optional() }),
    async handler({ params, body, project, shape }, { store }) {
      const current = await getMessage(store, project, params.thread_id!, params.message_id!);
      return messageView(await modify(store, project, 'message', current.id, { metadata: body.metadata }), shape);
    },
  }),
  route({
    method: 'DELETE',
    path: '/threads/:thread_id/messages/:message_id',
    summary: 'Delete message',
    async handler({ params, project }, { store }) {
      const message = await getMessage(store, project, params.thread_id!, params.message_id!);
      await store.messages.delete(project, message.id);
      return { id: message.id, object: 'thread.message.deleted', deleted: true };
    },
  }),
];
