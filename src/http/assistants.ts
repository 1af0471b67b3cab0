import { z } from 'zod';
import { ID_PREFIX, newId, nowSeconds } from '../domain/ids.js';
import { notFound } from '../domain/errors.js';
import type { Assistant } from '../domain/types.js';
import type { Store } from '../store/store.js';
import type { AppDeps } from '../app-deps.js';
import type { ApiShape } from './api-version.js';
import { modify } from './modify.js';
import { listQuery, pageQuery, toListPage } from './pagination.js';
import { resolveToolResources } from './references.js';
import { route } from './route.js';
import { forgetAssistant } from './run-assistant.js';
import { syncRetrievalFiles } from './v1-retrieval.js';
import {
  metadataSchema,
  reasoningEffortSchema,
  responseFormatSchema,
  temperatureSchema,
  toolResourcesSchema,
  toolsSchema,
  topPSchema,
} from './schemas.js';
import { assistantView } from './v1-shapes.js';

const fields = {
  name: z.string().max(256).nullable(),
  description: z.string().max(512).nullable(),
  instructions: z.string().max(256_000).nullable(),
  tools: toolsSchema,
  tool_resources: toolResourcesSchema,
  metadata: metadataSchema,
  temperature: temperatureSchema,
  top_p: topPSchema,
  response_format: responseFormatSchema,
  reasoning_effort: reasoningEffortSchema,
  /** v1: files of the assistant, read as code_interpreter files. */
  file_ids: z.array(z.string()).max(20),
};

const createBody = z.object({ model: z.string().min(1).max(256), ...fields }).partial().required({ model: true });
const modifyBody = z.object({ model: z.string().min(1).max(256), ...fields }).partial();

/** v1 `file_ids` and v2 tool_resources are one stored list; v2 wins when both are given. */
function withLegacyFiles<T extends { file_ids?: string[]; tool_resources?: z.infer<typeof toolResourcesSchema> }>(body: T) {
  if (!body.file_ids || body.tool_resources?.code_interpreter) return body.tool_resources;
  return { ...(body.tool_resources ?? {}), code_interpreter: { file_ids: body.file_ids } };
}

/**
 * The tool_resources a modify request leaves the assistant with (`changed`: the assistant with the request's other
 * fields applied); undefined when the request does not touch them.
 */
async function modifiedToolResources(deps: AppDeps, project: string, changed: Assistant, body: z.infer<typeof modifyBody>, shape: ApiShape) {
  let resources = await resolveToolResources(deps, project, withLegacyFiles(body));
  // v1 `file_ids` alone replace only the files, not the assistant's other resources (its retrieval store).
  if (body.tool_resources === undefined && resources) resources = { ...changed.tool_resources, ...resources };
  const next: Assistant = resources !== undefined ? { ...changed, tool_resources: resources } : changed;
  // v1 files serve retrieval too: a change of files, or of tools in v1, updates the retrieval store.
  const legacyFiles = body.file_ids ?? (shape === 'v1' && body.tools ? next.tool_resources?.code_interpreter?.file_ids : undefined);
  if (!legacyFiles || body.tool_resources?.file_search) return resources;
  return (await syncRetrievalFiles(deps, project, next, legacyFiles)).tool_resources;
}

export async function getAssistant(store: Store, project: string, id: string): Promise<Assistant> {
  const assistant = await store.assistants.get(project, id);
  if (!assistant) throw notFound('assistant', id);
  return assistant;
}

export const assistantRoutes = [
  route({
    method: 'POST',
    path: '/assistants',
    summary: 'Create assistant',
    body: createBody,
    async handler({ body, project, shape }, deps) {
      let assistant: Assistant = {
        id: newId(ID_PREFIX.assistant),
        object: 'assistant',
        created_at: nowSeconds(),
        name: body.name ?? null,
        description: body.description ?? null,
        model: body.model,
        instructions: body.instructions ?? null,
        tools: body.tools ?? [],
        tool_resources: (await resolveToolResources(deps, project, withLegacyFiles(body))) ?? {},
        metadata: body.metadata ?? {},
        temperature: body.temperature ?? 1,
        top_p: body.top_p ?? 1,
        response_format: body.response_format ?? 'auto',
      };
      if (body.file_ids && !body.tool_resources?.file_search) assistant = await syncRetrievalFiles(deps, project, assistant, body.file_ids);
      await deps.store.assistants.insert(project, assistant);
      return assistantView(assistant, shape);
    },
  }),
  route({
    method: 'GET',
    path: '/assistants',
    summary: 'List assistants',
    query: listQuery(),
    async handler({ query, project, shape }, { store }) {
      const page = await store.assistants.list(project, pageQuery(query));
      return toListPage(page, (a) => assistantView(a, shape));
    },
  }),
  route({
    method: 'GET',
    path: '/assistants/:assistant_id',
    summary: 'Retrieve assistant',
    async handler({ params, project, shape }, { store }) {
      return assistantView(await getAssistant(store, project, params.assistant_id!), shape);
    },
  }),
  route({
    method: 'POST',
    path: '/assistants/:assistant_id',
    summary: 'Modify assistant',
    body: modifyBody,
    async handler({ params, body, project, shape }, deps) {
      const current = await getAssistant(deps.store, project, params.assistant_id!);
      const { file_ids: _legacy, tool_resources: _resources, reasoning_effort: _effort, ...changes } = body;
      const tool_resources = await modifiedToolResources(deps, project, { ...current, ...changes }, body, shape);
      const modified = await modify(deps.store, project, 'assistant', current.id, { ...changes, tool_resources });
      forgetAssistant(deps.store, project, current.id);
      return assistantView(modified, shape);
    },
  }),
  route({
    method: 'DELETE',
    path: '/assistants/:assistant_id',
    summary: 'Delete assistant',
    async handler({ params, project }, { store }) {
      const deleted = await store.assistants.delete(project, params.assistant_id!);
      forgetAssistant(store, project, params.assistant_id!);
      if (!deleted) throw notFound('assistant', params.assistant_id!);
      return { id: params.assistant_id, object: 'assistant.deleted', deleted: true };
    },
  }),
];
