import type { AppDeps } from '../../app-deps.js';
import type { ResponseEngineDeps } from '../../engine/responses/create-response.js';
import type { ResponseRequest } from '../../engine/responses/response-request.js';
import { BadRequestError, notFound } from '../../domain/errors.js';
import { fileSearchOptions } from '../../tools/file-search.js';
import { assertNotExpired, getVectorStore } from '../vector-stores.js';

/** What the Responses engine runs on: the app's store and models, and file_search over the same index runs use. */
export function responseEngineDeps(deps: Omit<AppDeps, 'backgroundResponses'>, logger?: ResponseEngineDeps['logger']): ResponseEngineDeps {
  const { store, models, blobs, searchIndex, ingestion, containers, config } = deps;
  return {
    store,
    models,
    blobs,
    ...(logger ? { logger } : {}),
    fileSearch: fileSearchOptions(searchIndex, ingestion),
    codeInterpreter: { containers, callTimeoutMs: config.codeTimeoutSeconds * 1000 },
  };
}

/** Every vector store a file_search tool names must exist in the project and not have expired. */
export async function checkVectorStores(deps: AppDeps, project: string, req: ResponseRequest): Promise<void> {
  for (const [index, tool] of req.tools.entries()) {
    if (tool.type !== 'file_search') continue;
    for (const id of tool.vector_store_ids) assertNotExpired(deps, await getVectorStore(deps, project, id, `tools[${index}].vector_store_ids`), `tools[${index}].vector_store_ids`);
  }
}

/** A code_interpreter tool's container must exist and be running; the files of an `auto` one must exist. */
export async function checkCodeContainers(deps: AppDeps, project: string, req: ResponseRequest): Promise<void> {
  for (const [index, tool] of req.tools.entries()) {
    if (tool.type !== 'code_interpreter') continue;
    if (typeof tool.container === 'string') {
      const container = await deps.containers.find(project, tool.container);
      const param = `tools[${index}].container`;
      if (!container) throw notFound('container', tool.container, param);
      if (container.status === 'expired') throw new BadRequestError(`Container '${container.id}' has expired: create a new one, or use {"type": "auto"}.`, param, 'container_expired');
      continue;
    }
    for (const [i, id] of (tool.container.file_ids ?? []).entries()) {
      if (!(await deps.store.files.get(project, id))) throw notFound('file', id, `tools[${index}].container.file_ids[${i}]`);
    }
  }
}
