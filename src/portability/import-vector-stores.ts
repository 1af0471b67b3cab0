// Vector stores with their files: one group per store. The files go in as the API adds them, in progress on the
// ingestion queue, with their attributes, chunking and membership time kept: the ingestion pipeline rebuilds the
// index from the imported bytes as it does for any added file.
import type { VectorStore, VectorStoreFile } from '../domain/types.js';
import { storedChunking } from '../domain/vector-stores.js';
import type { NewVectorStoreFile } from '../store/vector-store-files-repo.js';
import type { ImportContext } from './import-context.js';
import { writeGroup } from './import-group.js';
import { refusal, type Candidate, type ImportPlan } from './import-plan.js';
import type { ReportEntry } from './import-report.js';

const ZERO = { in_progress: 0, completed: 0, failed: 0, cancelled: 0, total: 0 };

/** Counts, usage and status are views of the files' state; only whether the store had expired is kept. */
function storedVectorStore(vs: VectorStore): VectorStore {
  return { ...vs, usage_bytes: 0, file_counts: ZERO, status: vs.status === 'expired' ? 'expired' : 'completed' };
}

function queued(file: VectorStoreFile): NewVectorStoreFile {
  return {
    file: { ...file, status: 'in_progress', usage_bytes: 0, last_error: null, chunking_strategy: file.chunking_strategy ?? storedChunking({ type: 'auto' }) },
    batchId: null,
    job: `import-${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`,
  };
}

function groupByStore(plan: ImportPlan) {
  const groups = new Map<string, { vs?: Candidate<'vector_store'>; files: Array<Candidate<'vector_store.file'>> }>();
  const group = (id: string) => groups.get(id) ?? groups.set(id, { files: [] }).get(id)!;
  for (const c of plan.vector_store) group(c.obj.id).vs = c;
  for (const c of plan['vector_store.file']) group(c.obj.vector_store_id).files.push(c);
  return groups;
}

async function importStore(ctx: ImportContext, storeId: string, vs: Candidate<'vector_store'> | undefined, files: Array<Candidate<'vector_store.file'>>) {
  const { owners, project, store } = ctx;
  const entries: ReportEntry[] = [];
  const state = owners.state('vector_store', storeId);
  if (vs) {
    const entry = { kind: 'vector_store', id: storeId, source: vs.source };
    entries.push(state === 'new' ? { ...entry, outcome: 'imported' } : state === 'exists' ? { ...entry, outcome: 'exists' } : { ...entry, outcome: 'refused', reason: refusal(owners, 'vector_store', storeId) });
  }
  const problem =
    state === 'refused' ? `its vector store ${storeId} ${vs ? 'was refused' : 'belongs to another project'}` : state === 'new' && !vs ? `its vector store ${storeId} is neither in the export nor in this project` : undefined;
  const rows: NewVectorStoreFile[] = [];
  for (const c of files) {
    const entry = { kind: 'vector_store.file', id: `${storeId}/${c.obj.id}`, source: c.source };
    if (problem) entries.push({ ...entry, outcome: 'skipped', reason: problem });
    else if (owners.state('file', c.obj.id) !== 'exists') entries.push({ ...entry, outcome: 'skipped', reason: `file ${c.obj.id} is not in this project (not in the export, or not imported: see above)` });
    else if (state === 'exists' && (await store.vectorStoreFiles.get(project, storeId, c.obj.id))) entries.push({ ...entry, outcome: 'exists' });
    else {
      entries.push({ ...entry, outcome: 'imported' });
      rows.push(queued(c.obj as VectorStoreFile));
    }
  }
  const written = await writeGroup(store, ctx.report, entries, async (tx) => {
    if (vs && state === 'new') await tx.vectorStores.insert(project, storedVectorStore(vs.obj as VectorStore));
    if (rows.length) await tx.vectorStoreFiles.upsert(project, rows);
  });
  if (written && vs) owners.add('vector_store', storeId);
  if (written && rows.length) ctx.report.vectorStoreIds.push(storeId);
}

export async function importVectorStores(ctx: ImportContext, plan: ImportPlan): Promise<void> {
  for (const [storeId, { vs, files }] of groupByStore(plan)) await importStore(ctx, storeId, vs, files);
}
