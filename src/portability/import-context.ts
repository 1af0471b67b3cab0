import type { BlobStore } from '../blobs/blob-store.js';
import type { Store } from '../store/store.js';
import type { Owners } from './import-plan.js';
import type { ImportReport } from './import-report.js';

/** What every step of one import shares. */
export interface ImportContext {
  store: Store;
  blobs: BlobStore;
  project: string;
  owners: Owners;
  report: ImportReport;
  /** Unix seconds, for the end times of what was in flight at export time. */
  now: number;
  /** The export directory. */
  dir: string;
  maxFileBytes: number;
}
