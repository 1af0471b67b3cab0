import type { AppDeps } from '../app-deps.js';
import type { NewThread } from './threads.js';
import type { Attachment, Thread } from '../domain/types.js';
import { buildVectorStore, isExpired } from '../domain/vector-stores.js';

/** Stores made for message attachments live until a week after the thread last used them, as on the hosted API. */
const THREAD_STORE_EXPIRY = { anchor: 'last_active_at', days: 7 } as const;

export function fileSearchAttachments(messages: Array<{ attachments: Attachment[] | null }>): string[] {
  const ids = messages.flatMap((m) => (m.attachments ?? []).filter((a) => a.tools.some((t) => t.type === 'file_search')).map((a) => a.file_id));
  return [...new Set(ids)];
}

/**
 * A new thread whose messages attach existing files for file_search, with the vector store they go into made
 * and named in its tool_resources (unless it names a live one already), to be stored in the transaction that
 * stores the thread: a create refused later (a rate limit) then leaves no store behind. The files are added
 * once it is stored (addAttachmentsToThreadStore).
 */
export async function withAttachmentStore(deps: AppDeps, project: string, opening: NewThread): Promise<NewThread> {
  const wanted = fileSearchAttachments(opening.messages);
  const now = deps.ingestion.now();
  let found = false;
  for (const id of wanted) if (!found && (await deps.store.files.get(project, id))) found = true;
  if (!found) return opening;
  const currentId = opening.thread.tool_resources?.file_search?.vector_store_ids?.[0];
  const current = currentId ? await deps.store.vectorStores.get(project, currentId) : undefined;
  if (current && !isExpired(current, now)) return opening;
  const vectorStore = buildVectorStore({ expires_after: THREAD_STORE_EXPIRY }, now);
  const thread: Thread = { ...opening.thread, tool_resources: { ...opening.thread.tool_resources, file_search: { vector_store_ids: [vectorStore.id] } } };
  return { ...opening, thread, vectorStore };
}

/**
 * Files attached to messages for file_search go into the thread's vector store, which is created on first use
 * (or when the one it had expired). Files that do not exist are skipped: legacy `file_ids` may be placeholders.
 * Returns the store's id, or undefined when there was nothing to add.
 */
export async function addAttachmentsToThreadStore(
  deps: AppDeps,
  project: string,
  threadId: string,
  messages: Array<{ attachments: Attachment[] | null }>,
): Promise<string | undefined> {
  const wanted = fileSearchAttachments(messages);
  if (wanted.length === 0) return undefined;
  const existing: string[] = [];
  for (const id of wanted) if (await deps.store.files.get(project, id)) existing.push(id);
  if (existing.length === 0) return undefined;

  const now = deps.ingestion.now();
  // Under the thread's lock, so two messages posted at once cannot each create a store for the thread.
  const vectorStoreId = await deps.store.transaction(async (tx) => {
    await tx.lockThread(project, threadId);
    const thread = await tx.threads.get(project, threadId);
    if (!thread) return undefined;
    const currentId = thread.tool_resources?.file_search?.vector_store_ids?.[0];
    const current = currentId ? await tx.vectorStores.get(project, currentId) : undefined;
    if (current && !isExpired(current, now)) return current.id;
    const vs = buildVectorStore({ expires_after: THREAD_STORE_EXPIRY }, now);
    await tx.vectorStores.insert(project, vs);
    const next: Thread = { ...thread, tool_resources: { ...(thread.tool_resources ?? {}), file_search: { vector_store_ids: [vs.id] } } };
    await tx.threads.replace(project, next);
    return vs.id;
  });
  if (!vectorStoreId) return undefined;
  const fresh: string[] = [];
  for (const id of existing) if (!(await deps.store.vectorStoreFiles.get(project, vectorStoreId, id))) fresh.push(id);
  if (fresh.length) await deps.ingestion.addFiles(project, vectorStoreId, fresh.map((fileId) => ({ fileId, chunking: { type: 'auto' }, attributes: {} })));
  return vectorStoreId;
}
