import { z } from 'zod';
import type { AppDeps } from '../app-deps.js';
import { BadRequestError, notFound } from '../domain/errors.js';
import type { ExpiresAfter, Metadata, VectorStore } from '../domain/types.js';
import { buildVectorStore, expiresAt, isExpired, vectorStoreView, type RequestedChunking } from '../domain/vector-stores.js';
import { modify } from './modify.js';
import { listQuery, pageQuery, toListPage } from './pagination.js';
import { ensureFilesExist } from './references.js';
import { route } from './route.js';
import { metadataSchema } from './schemas.js';
import { expiresAfterSchema, fileIdsSchema, parseChunking } from './vector-store-inputs.js';

const createBody = z.object({
  name: z.string().max(256).nullable().optional(),
  /** Accepted for compatibility with newer clients; not part of the stored object. */
  description: z.string().max(512).nullable().optional(),
  file_ids: fileIdsSchema.optional(),
  chunking_strategy: z.unknown().optional(),
  expires_after: expiresAfterSchema.nullable().optional(),
  metadata: metadataSchema.optional(),
});

const modifyBody = z.object({
  name: z.string().max(256).nullable().optional(),
  expires_after: expiresAfterSchema.nullable().optional(),
  metadata: metadataSchema.optional(),
});

/** A modify request applied. An expired store keeps its expiry: its index is gone, a new expiry cannot bring it back. */
function withChanges(stored: VectorStore, body: z.infer<typeof modifyBody>, now: number): VectorStore {
  const next: VectorStore = { ...stored };
  if (body.name !== undefined) next.name = body.name;
  if (body.metadata !== undefined) next.metadata = body.metadata;
  if (body.expires_after !== undefined && !isExpired(stored, now)) {
    if (body.expires_after === null) delete next.expires_after;
    else next.expires_after = body.expires_after;
    next.expires_at = expiresAt(next.expires_after, next.last_active_at);
  }
  return next;
}

/** A stored vector store of the caller's project, or a 404. */
export async function getVectorStore(deps: AppDeps, project: string, id: string, param: string | null = null): Promise<VectorStore> {
  const vs = await deps.store.vectorStores.get(project, id);
  if (!vs) throw notFound('vector store', id, param);
  return vs;
}

/** Stores as the API shows them: counts, usage and status from their files, expiry on the pipeline's clock. */
export async function showVectorStores(deps: AppDeps, project: string, stores: VectorStore[]): Promise<VectorStore[]> {
  const usage = await deps.store.vectorStoreFiles.usage(project, stores.map((vs) => vs.id));
  const now = deps.ingestion.now();
  return stores.map((vs) => vectorStoreView(vs, usage.get(vs.id)!, now));
}

export async function showVectorStore(deps: AppDeps, project: string, vs: VectorStore): Promise<VectorStore> {
  return (await showVectorStores(deps, project, [vs]))[0]!;
}

/** Files can only be added to a live store: an expired one has given up its index. */
export function assertNotExpired(deps: AppDeps, vs: VectorStore, param: string | null = null): void {
  if (isExpired(vs, deps.ingestion.now())) throw new BadRequestError(`Vector store ${vs.id} has expired and can no longer be used.`, param);
}

export interface NewVectorStoreInput {
  name?: string | null;
  metadata?: Metadata;
  expires_after?: ExpiresAfter | null;
  file_ids?: string[];
  chunking?: RequestedChunking;
}

/** Creates a store and queues its files; callers have checked that the files exist. */
export async function createVectorStore(deps: AppDeps, project: string, input: NewVectorStoreInput): Promise<VectorStore> {
  const vs = buildVectorStore(input, deps.ingestion.now());
  await deps.store.vectorStores.insert(project, vs);
  const chunking = input.chunking ?? { type: 'auto' };
  const fileIds = [...new Set(input.file_ids ?? [])];
  if (fileIds.length) await deps.ingestion.addFiles(project, vs.id, fileIds.map((fileId) => ({ fileId, chunking, attributes: {} })));
  return vs;
}

export const vectorStoreRoutes = [
  route({
    method: 'POST',
    path: '/vector_stores',
    summary: 'Create vector store',
    body: createBody,
    async handler({ body, project }, deps) {
      const chunking = parseChunking(body.chunking_strategy);
      await ensureFilesExist(deps.store, project, body.file_ids ?? [], 'file_ids');
      const vs = await createVectorStore(deps, project, { ...body, chunking });
      return showVectorStore(deps, project, vs);
    },
  }),
  route({
    method: 'GET',
    path: '/vector_stores',
    summary: 'List vector stores',
    query: listQuery(),
    async handler({ query, project }, deps) {
      const page = await deps.store.vectorStores.list(project, pageQuery(query));
      return toListPage({ ...page, data: await showVectorStores(deps, project, page.data) });
    },
  }),
  route({
    method: 'GET',
    path: '/vector_stores/:vector_store_id',
    summary: 'Retrieve vector store',
    async handler({ params, project }, deps) {
      return showVectorStore(deps, project, await getVectorStore(deps, project, params.vector_store_id!));
    },
  }),
  route({
    method: 'POST',
    path: '/vector_stores/:vector_store_id',
    summary: 'Modify vector store',
    body: modifyBody,
    async handler({ params, body, project }, deps) {
      const next = await modify(deps.store, project, 'vector store', params.vector_store_id!, (stored) => withChanges(stored, body, deps.ingestion.now()));
      return showVectorStore(deps, project, next);
    },
  }),
  route({
    method: 'DELETE',
    path: '/vector_stores/:vector_store_id',
    summary: 'Delete vector store',
    async handler({ params, project }, deps) {
      const id = params.vector_store_id!;
      if (!(await deps.ingestion.removeStore(project, id))) throw notFound('vector store', id);
      return { id, object: 'vector_store.deleted', deleted: true };
    },
  }),
];
