import { BadRequestError } from '../domain/errors.js';
import type { ToolResources } from '../domain/types.js';
import type { Store } from '../store/store.js';
import type { ToolResourcesInput } from './schemas.js';

/** Every referenced file must exist in the caller's project; the error names the param that held it. */
export async function ensureFilesExist(store: Store, project: string, ids: string[], param: string): Promise<void> {
  for (const [index, id] of ids.entries()) {
    if (!(await store.files.get(project, id))) {
      throw new BadRequestError(`Invalid '${param}[${index}]': no file with id '${id}'.`, `${param}[${index}]`);
    }
  }
}

/** Validates tool_resources references and returns them in stored form. */
export async function resolveToolResources(
  store: Store,
  project: string,
  input: ToolResourcesInput | undefined,
): Promise<ToolResources | null | undefined> {
  if (input === undefined) return undefined;
  if (input === null) return null;
  const out: ToolResources = {};
  if (input.code_interpreter) {
    await ensureFilesExist(store, project, input.code_interpreter.file_ids, 'tool_resources.code_interpreter.file_ids');
    out.code_interpreter = { file_ids: input.code_interpreter.file_ids };
  }
  if (input.file_search) {
    if (input.file_search.vector_stores?.length) {
      throw new BadRequestError(
        "Invalid 'tool_resources.file_search.vector_stores': vector stores are not available on this server yet.",
        'tool_resources.file_search.vector_stores',
      );
    }
    const ids = input.file_search.vector_store_ids ?? [];
    if (ids.length) {
      throw new BadRequestError(
        `Invalid 'tool_resources.file_search.vector_store_ids[0]': no vector store with id '${ids[0]}'.`,
        'tool_resources.file_search.vector_store_ids[0]',
      );
    }
    out.file_search = { vector_store_ids: [] };
  }
  return out;
}
