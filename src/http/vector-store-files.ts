import { z } from 'zod';
import type { AppDeps } from '../app-deps.js';
import { BadRequestError, notFound } from '../domain/errors.js';
import type { VectorStoreFile } from '../domain/types.js';
import { listQuery, pageQuery, toListPage } from './pagination.js';
import { holdPoll, holdsPoll, pollAfter } from './poll-hold.js';
import { route } from './route.js';
import { attributesSchema, parseChunking } from './vector-store-inputs.js';
import { assertNotExpired, getVectorStore } from './vector-stores.js';

/**
 * How often a held retrieve looks again without a local cue, where other processes share the database (files
 * they ingest finish unheard here); alone on its database, this process hears of every file it finishes.
 */
const RECHECK_MS = 50;

export const fileStatusFilter = z.enum(['in_progress', 'completed', 'failed', 'cancelled']).optional();

export async function getVectorStoreFile(deps: AppDeps, project: string, vectorStoreId: string, fileId: string): Promise<VectorStoreFile> {
  const file = await deps.store.vectorStoreFiles.get(project, vectorStoreId, fileId);
  if (!file) throw notFound('vector store file', fileId);
  return file;
}

export const vectorStoreFileRoutes = [
  route({
    method: 'POST',
    path: '/vector_stores/:vector_store_id/files',
    summary: 'Create vector store file',
    body: z.object({ file_id: z.string().min(1), chunking_strategy: z.unknown().optional(), attributes: attributesSchema.optional() }),
    async handler({ params, body, project }, deps) {
      const vs = await getVectorStore(deps, project, params.vector_store_id!);
      assertNotExpired(deps, vs);
      const chunking = parseChunking(body.chunking_strategy);
      if (!(await deps.store.files.get(project, body.file_id))) throw new BadRequestError(`Invalid 'file_id': no file with id '${body.file_id}'.`, 'file_id');
      const [file] = await deps.ingestion.addFiles(project, vs.id, [{ fileId: body.file_id, chunking, attributes: body.attributes ?? {} }]);
      return file;
    },
  }),
  route({
    method: 'GET',
    path: '/vector_stores/:vector_store_id/files',
    summary: 'List vector store files',
    query: listQuery().extend({ filter: fileStatusFilter }),
    async handler({ params, query, project }, deps) {
      const vs = await getVectorStore(deps, project, params.vector_store_id!);
      return toListPage(await deps.store.vectorStoreFiles.list(project, vs.id, pageQuery(query), { status: query.filter }));
    },
  }),
  route({
    method: 'GET',
    path: '/vector_stores/:vector_store_id/files/:file_id',
    summary: 'Retrieve vector store file',
    async handler({ params, project, request, reply }, deps) {
      await getVectorStore(deps, project, params.vector_store_id!);
      const read = () => getVectorStoreFile(deps, project, params.vector_store_id!, params.file_id!);
      const held = holdsPoll(request, deps.config.pollHoldMs);
      const file = !held
        ? await read()
        : await holdPoll({
            holdMs: deps.config.pollHoldMs,
            read,
            working: (f) => (f.status === 'in_progress' ? f.status : undefined),
            // Any local file settling is a cue to re-read this one; the periodic look catches other replicas.
            wait: async (timeoutMs) => timeoutMs > 0 && (await deps.ingestion.settled(deps.store.notifications ? Math.min(timeoutMs, RECHECK_MS) : timeoutMs), true),
          });
      if (file.status === 'in_progress') pollAfter(reply, held);
      return file;
    },
  }),
  route({
    method: 'POST',
    path: '/vector_stores/:vector_store_id/files/:file_id',
    summary: 'Update vector store file attributes',
    body: z.object({ attributes: attributesSchema }),
    async handler({ params, body, project }, deps) {
      const vs = await getVectorStore(deps, project, params.vector_store_id!);
      if (!(await deps.ingestion.setAttributes(project, vs.id, params.file_id!, body.attributes))) throw notFound('vector store file', params.file_id!);
      return getVectorStoreFile(deps, project, vs.id, params.file_id!);
    },
  }),
  route({
    method: 'DELETE',
    path: '/vector_stores/:vector_store_id/files/:file_id',
    summary: 'Delete vector store file',
    async handler({ params, project }, deps) {
      const vs = await getVectorStore(deps, project, params.vector_store_id!);
      if (!(await deps.ingestion.removeFile(project, vs.id, params.file_id!))) throw notFound('vector store file', params.file_id!);
      return { id: params.file_id, object: 'vector_store.file.deleted', deleted: true };
    },
  }),
  route({
    method: 'GET',
    path: '/vector_stores/:vector_store_id/files/:file_id/content',
    summary: 'Retrieve vector store file content',
    async handler({ params, project }, deps) {
      const vs = await getVectorStore(deps, project, params.vector_store_id!);
      const file = await getVectorStoreFile(deps, project, vs.id, params.file_id!);
      const chunks = file.status === 'completed' ? await deps.searchIndex.fileChunks(project, vs.id, file.id) : [];
      return { object: 'vector_store.file_content.page', data: chunks.map((text) => ({ type: 'text', text })), has_more: false, next_page: null };
    },
  }),
];
