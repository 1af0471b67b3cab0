import type { AppDeps } from '../app-deps.js';
import type { Assistant } from '../domain/types.js';
import { createVectorStore } from './vector-stores.js';

// v1's `retrieval` tool searched the assistant's `file_ids`. Here it is file_search over a vector store made for
// those files behind the scenes; v1 clients keep seeing `retrieval` and `file_ids` as they were.

const storeName = (a: Assistant) => `retrieval files of ${a.id}`;
const hasFileSearch = (a: Assistant) => a.tools.some((t) => t.type === 'file_search');

/**
 * Makes the assistant's file_search store hold exactly `fileIds` (creating the store on first use), when the
 * assistant has the retrieval/file_search tool. Returns the assistant with its `tool_resources` updated.
 */
export async function syncRetrievalFiles(deps: AppDeps, project: string, assistant: Assistant, fileIds: string[]): Promise<Assistant> {
  if (!hasFileSearch(assistant)) return assistant;
  const wanted = [...new Set(fileIds)];
  const currentId = assistant.tool_resources?.file_search?.vector_store_ids?.[0];
  const current = currentId ? await deps.store.vectorStores.get(project, currentId) : undefined;
  if (!current) {
    if (wanted.length === 0) return assistant;
    const vs = await createVectorStore(deps, project, { name: storeName(assistant), file_ids: wanted });
    return { ...assistant, tool_resources: { ...(assistant.tool_resources ?? {}), file_search: { vector_store_ids: [vs.id] } } };
  }
  const present = await deps.store.vectorStoreFiles.fileIds(project, current.id);
  // Only a store made here is trimmed; one the caller attached is theirs, so their files stay.
  if (current.name === storeName(assistant)) {
    for (const id of present) if (!wanted.includes(id)) await deps.ingestion.removeFile(project, current.id, id);
  }
  const added = wanted.filter((id) => !present.includes(id));
  if (added.length) await deps.ingestion.addFiles(project, current.id, added.map((fileId) => ({ fileId, chunking: { type: 'auto' }, attributes: {} })));
  return assistant;
}
