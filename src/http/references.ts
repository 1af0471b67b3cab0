import type { AppDeps } from '../app-deps.js';
import { BadRequestError } from '../domain/errors.js';
import type { ToolResources } from '../domain/types.js';
import type { Store } from '../store/store.js';
import type { ToolResourcesInput } from './schemas.js';
import { parseChunking } from './vector-store-inputs.js';
import { createVectorStore } from './vector-stores.js';

type FileSearchResourcesInput = NonNullable<NonNullable<ToolResourcesInput>['file_search']>;

/** Every referenced file must exist in the caller's project; the error names the param that held it. */
export async function ensureFilesExist(store: Store, project: string, ids: string[], param: string): Promise<void> {
  for (const [index, id] of ids.entries()) {
    if (!(await store.files.get(project, id))) {
      throw new BadRequestError(`Invalid '${param}[${index}]': no file with id '${id}'.`, `${param}[${index}]`);
    }
  }
}

/** Validates tool_resources references, creates stores the inline `vector_stores` helper asks for, and returns them in stored form. */
export async function resolveToolResources(
  deps: AppDeps,
  project: string,
  input: ToolResourcesInput | undefined,
): Promise<ToolResources | null | undefined> {
  if (input === undefined) return undefined;
  if (input === null) return null;
  const { store } = deps;
  const out: ToolResources = {};
  if (input.code_interpreter) {
    await ensureFilesExist(store, project, input.code_interpreter.file_ids, 'tool_resources.code_interpreter.file_ids');
    out.code_interpreter = { file_ids: input.code_interpreter.file_ids };
  }
  if (input.file_search) out.file_search = { vector_store_ids: await resolveFileSearch(deps, project, input.file_search) };
  return out;
}

async function resolveFileSearch(deps: AppDeps, project: string, input: FileSearchResourcesInput): Promise<string[]> {
  const ids = input.vector_store_ids ?? [];
  const helpers = input.vector_stores ?? [];
  if (ids.length + helpers.length > 1) {
    throw new BadRequestError(
      "Invalid 'tool_resources.file_search': at most one vector store can be attached (use 'vector_store_ids' or 'vector_stores', not both).",
      'tool_resources.file_search',
    );
  }
  for (const [index, id] of ids.entries()) {
    const param = `tool_resources.file_search.vector_store_ids[${index}]`;
    if (!(await deps.store.vectorStores.get(project, id))) throw new BadRequestError(`Invalid '${param}': no vector store with id '${id}'.`, param);
  }
  const created: string[] = [];
  for (const [index, helper] of helpers.entries()) {
    const at = `tool_resources.file_search.vector_stores[${index}]`;
    const chunking = parseChunking(helper.chunking_strategy, at);
    await ensureFilesExist(deps.store, project, helper.file_ids ?? [], `${at}.file_ids`);
    created.push((await createVectorStore(deps, project, { file_ids: helper.file_ids, chunking, metadata: helper.metadata })).id);
  }
  return [...ids, ...created];
}
