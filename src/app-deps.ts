import type { BlobStore } from './blobs/blob-store.js';
import type { Config } from './config.js';
import type { RunWorker } from './engine/run-worker.js';
import type { ModelRegistry } from './providers/registry.js';
import type { Store } from './store/store.js';
import type { BuiltinTools } from './tools/builtin-tool.js';

/** Everything the HTTP layer is built from; tests assemble their own. */
export interface AppDeps {
  config: Config;
  store: Store;
  blobs: BlobStore;
  models: ModelRegistry;
  runs: RunWorker;
  /** The server-executed tools (code_interpreter, file_search) this server offers. */
  tools: BuiltinTools;
}
