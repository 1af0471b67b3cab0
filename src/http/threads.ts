import { z } from 'zod';
import { notFound } from '../domain/errors.js';
import { ID_PREFIX, newId, nowSeconds } from '../domain/ids.js';
import { buildMessage } from '../domain/messages.js';
import type { Message, Thread, VectorStore } from '../domain/types.js';
import type { Store } from '../store/store.js';
import { checkMessageFiles } from './messages.js';
import type { AppDeps } from '../app-deps.js';
import { modify } from './modify.js';
import { resolveToolResources } from './references.js';
import { route } from './route.js';
import { addAttachmentsToThreadStore } from './thread-vector-store.js';
import { messageInputSchema, metadataSchema, toolResourcesSchema } from './schemas.js';
import { threadView } from './v1-shapes.js';

const createBody = z.object({
  messages: z.array(messageInputSchema).max(32).optional(),
  tool_resources: toolResourcesSchema.optional(),
  metadata: metadataSchema.optional(),
});

const modifyBody = z.object({ tool_resources: toolResourcesSchema.optional(), metadata: metadataSchema.optional() });

export async function getThread(store: Store, project: string, id: string): Promise<Thread> {
  const thread = await store.threads.get(project, id);
  if (!thread) throw notFound('thread', id);
  return thread;
}

/** A thread checked and built from a create request, not yet stored. */
export interface NewThread {
  thread: Thread;
  messages: Message[];
  /** The vector store made for its messages' file_search attachments (named in its tool_resources), stored with it. */
  vectorStore?: VectorStore;
}

/** Checks a create request (files, tool resources) and builds the thread and its initial messages. */
export async function prepareThread(deps: AppDeps, project: string, body: z.infer<typeof createBody>): Promise<NewThread> {
  const messages = body.messages ?? [];
  for (const [index, message] of messages.entries()) await checkMessageFiles(deps.store, project, message, `messages[${index}]`);
  const thread: Thread = {
    id: newId(ID_PREFIX.thread),
    object: 'thread',
    created_at: nowSeconds(),
    metadata: body.metadata ?? {},
    tool_resources: (await resolveToolResources(deps, project, body.tool_resources)) ?? {},
  };
  return { thread, messages: messages.map((message) => buildMessage(thread.id, message)) };
}

/** Stores a prepared thread and its messages inside the caller's transaction. */
export async function insertThread(tx: Store, project: string, { thread, messages, vectorStore }: NewThread): Promise<void> {
  if (vectorStore) await tx.vectorStores.insert(project, vectorStore);
  await tx.threads.insert(project, thread);
  for (const message of messages) await tx.messages.insert(project, message);
}

/**
 * Creates a thread and its initial messages in one transaction, so a bad message leaves nothing behind; files
 * attached for file_search then go into the thread's vector store.
 */
export async function createThread(deps: AppDeps, project: string, body: z.infer<typeof createBody>): Promise<Thread> {
  const { store } = deps;
  const created = await prepareThread(deps, project, body);
  await store.transaction((tx) => insertThread(tx, project, created));
  if (await addAttachmentsToThreadStore(deps, project, created.thread.id, created.messages)) return getThread(store, project, created.thread.id);
  return created.thread;
}

export const threadCreateBody = createBody;

export const threadRoutes = [
  route({
    method: 'POST',
    path: '/threads',
    summary: 'Create thread',
    body: createBody,
    async handler({ body, project, shape }, deps) {
      return threadView(await createThread(deps, project, body), shape);
    },
  }),
  route({
    method: 'GET',
    path: '/threads/:thread_id',
    summary: 'Retrieve thread',
    async handler({ params, project, shape }, { store }) {
      return threadView(await getThread(store, project, params.thread_id!), shape);
    },
  }),
  route({
    method: 'POST',
    path: '/threads/:thread_id',
    summary: 'Modify thread',
    body: modifyBody,
    async handler({ params, body, project, shape }, deps) {
      const current = await getThread(deps.store, project, params.thread_id!);
      const tool_resources = await resolveToolResources(deps, project, body.tool_resources);
      return threadView(await modify(deps.store, project, 'thread', current.id, { metadata: body.metadata, tool_resources }), shape);
    },
  }),
  route({
    method: 'DELETE',
    path: '/threads/:thread_id',
    summary: 'Delete thread',
    async handler({ params, project }, { store, tools }) {
      const id = params.thread_id!;
      const deleted = await store.transaction(async (tx) => {
        await tx.messages.deleteWhere(project, { thread_id: id });
        await tx.runSteps.deleteWhere(project, { thread_id: id });
        await tx.runs.deleteWhere(project, { thread_id: id });
        return tx.threads.delete(project, id);
      });
      if (!deleted) throw notFound('thread', id);
      await tools.code_interpreter?.forgetThread?.(project, id);
      return { id, object: 'thread.deleted', deleted: true };
    },
  }),
];
