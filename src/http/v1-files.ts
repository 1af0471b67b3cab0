import { z } from 'zod';
import { BadRequestError, notFound } from '../domain/errors.js';
import type { Assistant } from '../domain/types.js';
import type { AppDeps } from '../app-deps.js';
import { getAssistant } from './assistants.js';
import { forgetAssistant } from './run-assistant.js';
import { getMessage } from './messages.js';
import { modify } from './modify.js';
import { listQuery } from './pagination.js';
import { ensureFilesExist } from './references.js';
import { route } from './route.js';
import { syncRetrievalFiles } from './v1-retrieval.js';

// v1's attached-file sub-resources. An assistant's files are its code_interpreter files; a message's are its
// attachments. Both lists are small (<= 20), so they are paged in memory over the file objects' creation order.

interface AttachedFile {
  id: string;
  created_at: number;
}

function page<T extends AttachedFile>(items: T[], q: z.infer<ReturnType<typeof listQuery>>) {
  const sorted = [...items].sort((a, b) => a.created_at - b.created_at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  if (q.order === 'desc') sorted.reverse();
  let start = 0;
  let end = sorted.length;
  if (q.after) start = sorted.findIndex((x) => x.id === q.after) + 1;
  if (q.before) end = Math.max(0, sorted.findIndex((x) => x.id === q.before));
  const window = sorted.slice(start, end);
  const data = window.slice(0, q.limit);
  return { object: 'list', data, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null, has_more: window.length > data.length };
}

async function filesOf(deps: AppDeps, project: string, ids: string[]): Promise<AttachedFile[]> {
  const out: AttachedFile[] = [];
  for (const id of ids) {
    const file = await deps.store.files.get(project, id);
    out.push({ id, created_at: file?.created_at ?? 0 });
  }
  return out;
}

const assistantFile = (assistantId: string, f: AttachedFile) => ({ id: f.id, object: 'assistant.file', created_at: f.created_at, assistant_id: assistantId });
const messageFile = (messageId: string, f: AttachedFile) => ({ id: f.id, object: 'thread.message.file', created_at: f.created_at, message_id: messageId });

const ciFiles = (a: Assistant) => a.tool_resources?.code_interpreter?.file_ids ?? [];

/** An assistant's v1 files are its code_interpreter files, and its retrieval store's when it has that tool. */
async function setFiles(deps: AppDeps, project: string, assistant: Assistant, fileIds: string[]): Promise<void> {
  const next = { ...assistant, tool_resources: { ...assistant.tool_resources, code_interpreter: { file_ids: fileIds } } };
  const { tool_resources } = await syncRetrievalFiles(deps, project, next, fileIds);
  await modify(deps.store, project, 'assistant', assistant.id, { tool_resources });
  forgetAssistant(deps.store, project, assistant.id);
}

export const v1FileRoutes = [
  route({
    method: 'POST',
    path: '/assistants/:assistant_id/files',
    summary: 'Create assistant file (v1)',
    body: z.object({ file_id: z.string().min(1) }),
    async handler({ params, body, project }, deps) {
      const assistant = await getAssistant(deps.store, project, params.assistant_id!);
      await ensureFilesExist(deps.store, project, [body.file_id], 'file_id');
      const ids = ciFiles(assistant);
      if (!ids.includes(body.file_id)) {
        if (ids.length >= 20) throw new BadRequestError('An assistant can have at most 20 files.', 'file_id');
        await setFiles(deps, project, assistant, [...ids, body.file_id]);
      }
      const [file] = await filesOf(deps, project, [body.file_id]);
      return assistantFile(assistant.id, file!);
    },
  }),
  route({
    method: 'GET',
    path: '/assistants/:assistant_id/files',
    summary: 'List assistant files (v1)',
    query: listQuery(),
    async handler({ params, query, project }, deps) {
      const assistant = await getAssistant(deps.store, project, params.assistant_id!);
      const files = await filesOf(deps, project, ciFiles(assistant));
      const result = page(files, query);
      return { ...result, data: result.data.map((f) => assistantFile(assistant.id, f)) };
    },
  }),
  route({
    method: 'GET',
    path: '/assistants/:assistant_id/files/:file_id',
    summary: 'Retrieve assistant file (v1)',
    async handler({ params, project }, deps) {
      const assistant = await getAssistant(deps.store, project, params.assistant_id!);
      if (!ciFiles(assistant).includes(params.file_id!)) throw notFound('assistant file', params.file_id!);
      const [file] = await filesOf(deps, project, [params.file_id!]);
      return assistantFile(assistant.id, file!);
    },
  }),
  route({
    method: 'DELETE',
    path: '/assistants/:assistant_id/files/:file_id',
    summary: 'Delete assistant file (v1)',
    async handler({ params, project }, deps) {
      const assistant = await getAssistant(deps.store, project, params.assistant_id!);
      const ids = ciFiles(assistant);
      if (!ids.includes(params.file_id!)) throw notFound('assistant file', params.file_id!);
      await setFiles(deps, project, assistant, ids.filter((id) => id !== params.file_id));
      return { id: params.file_id, object: 'assistant.file.deleted', deleted: true };
    },
  }),
  route({
    method: 'GET',
    path: '/threads/:thread_id/messages/:message_id/files',
    summary: 'List message files (v1)',
    query: listQuery(),
    async handler({ params, query, project }, deps) {
      const message = await getMessage(deps.store, project, params.thread_id!, params.message_id!);
      const files = await filesOf(deps, project, (message.attachments ?? []).map((a) => a.file_id));
      const result = page(files, query);
      return { ...result, data: result.data.map((f) => messageFile(message.id, f)) };
    },
  }),
  route({
    method: 'GET',
    path: '/threads/:thread_id/messages/:message_id/files/:file_id',
    summary: 'Retrieve message file (v1)',
    async handler({ params, project }, deps) {
      const message = await getMessage(deps.store, project, params.thread_id!, params.message_id!);
      if (!(message.attachments ?? []).some((a) => a.file_id === params.file_id)) throw notFound('message file', params.file_id!);
      const [file] = await filesOf(deps, project, [params.file_id!]);
      return messageFile(message.id, file!);
    },
  }),
];
