import { z } from 'zod';
import type { AppDeps } from '../app-deps.js';
import { BadRequestError, notFound } from '../domain/errors.js';
import type { VectorStoreFileBatch } from '../domain/types.js';
import { buildFileBatch, fileBatchView } from '../domain/vector-stores.js';
import type { FileToAdd } from '../ingest/vector-store-ingestion.js';
import { listQuery, pageQuery, toListPage } from './pagination.js';
import { ensureFilesExist } from './references.js';
import { route } from './route.js';
import { fileStatusFilter } from './vector-store-files.js';
import { pollAfter } from './poll-hold.js';
import { attributesSchema, fileIdsSchema, parseChunking } from './vector-store-inputs.js';
import { assertNotExpired, getVectorStore } from './vector-stores.js';

const createBody = z.object({
  file_ids: fileIdsSchema.optional(),
  files: z
    .array(z.object({ file_id: z.string().min(1), chunking_strategy: z.unknown().optional(), attributes: attributesSchema.optional() }))
    .max(10_000)
    .optional(),
  chunking_strategy: z.unknown().optional(),
  attributes: attributesSchema.optional(),
});

/** `file_ids` share the batch's strategy and attributes; each of `files` may bring its own. */
function filesToAdd(body: z.infer<typeof createBody>): FileToAdd[] {
  if (body.file_ids && body.files) throw new BadRequestError("Provide either 'file_ids' or 'files', not both.", 'files');
  if (!body.file_ids?.length && !body.files?.length) throw new BadRequestError("Missing required parameter: 'file_ids'.", 'file_ids');
  const chunking = parseChunking(body.chunking_strategy);
  const attributes = body.attributes ?? {};
  const files = body.files
    ? body.files.map((f, i) => ({
        fileId: f.file_id,
        chunking: f.chunking_strategy === undefined ? chunking : parseChunking(f.chunking_strategy, `files[${i}]`),
        attributes: f.attributes ?? attributes,
      }))
    : body.file_ids!.map((fileId) => ({ fileId, chunking, attributes }));
  // A file named twice is one file in the store; the last mention decides its settings.
  return [...new Map(files.map((f) => [f.fileId, f])).values()];
}

async function getBatch(deps: AppDeps, project: string, vectorStoreId: string, id: string): Promise<VectorStoreFileBatch> {
  const batch = await deps.store.vectorStoreFileBatches.get(project, id);
  if (!batch || batch.vector_store_id !== vectorStoreId) throw notFound('vector store file batch', id);
  return batch;
}

async function showBatch(deps: AppDeps, project: string, batch: VectorStoreFileBatch): Promise<VectorStoreFileBatch> {
  return fileBatchView(batch, await deps.store.vectorStoreFiles.batchUsage(project, batch.id));
}

export const vectorStoreFileBatchRoutes = [
  route({
    method: 'POST',
    path: '/vector_stores/:vector_store_id/file_batches',
    summary: 'Create vector store file batch',
    body: createBody,
    async handler({ params, body, project }, deps) {
      const vs = await getVectorStore(deps, project, params.vector_store_id!);
      assertNotExpired(deps, vs);
      const files = filesToAdd(body);
      await ensureFilesExist(deps.store, project, files.map((f) => f.fileId), body.files ? 'files' : 'file_ids');
      const batch = buildFileBatch(vs.id, deps.ingestion.now());
      await deps.store.vectorStoreFileBatches.insert(project, batch);
      await deps.ingestion.addFiles(project, vs.id, files, batch.id);
      return showBatch(deps, project, batch);
    },
  }),
  route({
    method: 'GET',
    path: '/vector_stores/:vector_store_id/file_batches/:batch_id',
    summary: 'Retrieve vector store file batch',
    async handler({ params, project, reply }, deps) {
      const batch = await showBatch(deps, project, await getBatch(deps, project, params.vector_store_id!, params.batch_id!));
      if (batch.status === 'in_progress') pollAfter(reply, false);
      return batch;
    },
  }),
  route({
    method: 'POST',
    path: '/vector_stores/:vector_store_id/file_batches/:batch_id/cancel',
    summary: 'Cancel vector store file batch',
    async handler({ params, project }, deps) {
      const batch = await getBatch(deps, project, params.vector_store_id!, params.batch_id!);
      const shown = await showBatch(deps, project, batch);
      if (shown.status !== 'in_progress') throw new BadRequestError(`Cannot cancel a vector store file batch with status '${shown.status}'.`);
      const cancelled: VectorStoreFileBatch = { ...batch, status: 'cancelled' };
      await deps.store.vectorStoreFileBatches.replace(project, cancelled);
      await deps.ingestion.cancelBatch(project, batch.id);
      return showBatch(deps, project, cancelled);
    },
  }),
  route({
    method: 'GET',
    path: '/vector_stores/:vector_store_id/file_batches/:batch_id/files',
    summary: 'List vector store files in a batch',
    query: listQuery().extend({ filter: fileStatusFilter }),
    async handler({ params, query, project }, deps) {
      const batch = await getBatch(deps, project, params.vector_store_id!, params.batch_id!);
      const page = await deps.store.vectorStoreFiles.list(project, batch.vector_store_id, pageQuery(query), { status: query.filter, batchId: batch.id });
      return toListPage(page);
    },
  }),
];
