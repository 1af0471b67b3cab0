import type { AppDeps } from '../../app-deps.js';
import type { ResponseEngineDeps } from '../../engine/responses/create-response.js';
import type { ResponseRequest } from '../../engine/responses/response-request.js';
import { fileSearchOptions } from '../../tools/file-search.js';
import { assertNotExpired, getVectorStore } from '../vector-stores.js';

/** What the Responses engine runs on: the app's store and models, and file_search over the same index runs use. */
export function responseEngineDeps(deps: Omit<AppDeps, 'backgroundResponses'>, logger?: ResponseEngineDeps['logger']): ResponseEngineDeps {
  const { store, models, blobs, searchIndex, ingestion } = deps;
  return {
    store,
    models,
    blobs,
    ...(logger ? { logger } : {}),
    fileSearch: fileSearchOptions(searchIndex, ingestion),
  };
}

/** Every vector store a file_search tool names must exist in the project and not have expired. */
export async function checkVectorStores(deps: AppDeps, project: string, req: ResponseRequest): Promise<void> {
  for (const [index, tool] of req.tools.entries()) {
    if (tool.type !== 'file_search') continue;
    for (const id of tool.vector_store_ids) assertNotExpired(deps, await getVectorStore(deps, project, id, `tools[${index}].vector_store_ids`), `tools[${index}].vector_store_ids`);
  }
}
