import type { BlobStore } from './blobs/blob-store.js';
import type { Config } from './config.js';
import type { RunWorker } from './engine/run-worker.js';
import type { ModelRegistry } from './providers/registry.js';
import type { Store } from './store/store.js';

/** Everything the HTTP layer is built from; tests assemble their own. */
export interface AppDeps {
  config: Config;
  store: Store;
  blobs: BlobStore;
  models: ModelRegistry;
  runs: RunWorker;
}
