import type { BlobStore } from '../blobs/blob-store.js';
import { nowSeconds } from '../domain/ids.js';
import type { Store } from '../store/store.js';
import { importAssistants, importFiles } from './import-files.js';
import { loadOwners, planImport } from './import-plan.js';
import type { ImportReport } from './import-report.js';
import { importThreads } from './import-threads.js';
import { importVectorStores } from './import-vector-stores.js';
import { readExport } from './read-export.js';

export interface ImportOptions {
  store: Store;
  blobs: BlobStore;
  /** The export directory. */
  dir: string;
  project: string;
  maxFileBytes: number;
}

/**
 * Imports an export into a project, keeping every id. Objects already in the project are left as they are, so a
 * second import of the same export writes nothing; what cannot be imported is reported, object by object. The
 * vector stores' files are queued for ingestion (`report.vectorStoreIds`), which the caller lets run.
 */
export async function importExport(options: ImportOptions): Promise<ImportReport> {
  const { store, blobs, dir, project, maxFileBytes } = options;
  const contents = await readExport(dir);
  const report: ImportReport = { project, entries: [], notes: contents.notes, vectorStoreIds: [] };
  const plan = planImport(contents, report);
  const owners = await loadOwners(store, plan, project);
  const ctx = { store, blobs, project, owners, report, now: nowSeconds(), dir, maxFileBytes };
  // Files first: vector stores need their bytes; messages and assistants only name them.
  await importFiles(ctx, plan);
  await importAssistants(ctx, plan);
  await importThreads(ctx, plan);
  await importVectorStores(ctx, plan);
  return report;
}
