import type { BlobStore } from './blobs/blob-store.js';
import type { Config } from './config.js';
import type { RunEventLog } from './engine/events/run-events.js';
import type { ResponseWorker } from './engine/worker/response-worker.js';
import type { RunWorker } from './engine/worker/run-worker.js';
import type { ContainerService } from './tools/containers/container-service.js';
import type { VectorStoreIngestion } from './ingest/vector-store-ingestion.js';
import type { RateLimiter } from './ops/rate-limiter.js';
import type { ModelRegistry } from './providers/registry.js';
import type { SearchIndex } from './search/search-index.js';
import type { Store } from './store/store.js';
import type { BuiltinTools } from './tools/builtin-tool.js';

/** Everything the HTTP layer is built from; tests assemble their own. */
export interface AppDeps {
  config: Config;
  store: Store;
  blobs: BlobStore;
  models: ModelRegistry;
  runs: RunWorker;
  /** Runs background responses (a queue leased like the runs'). */
  backgroundResponses: ResponseWorker;
  /** The run event log that streams read. */
  events: RunEventLog;
  /** The server-executed tools (code_interpreter, file_search) this server offers. */
  tools: BuiltinTools;
  /** The chunks of vector store files, for search and for a file's content. */
  searchIndex: SearchIndex;
  /** Adds and removes vector store files and ingests them in the background. */
  ingestion: VectorStoreIngestion;
  /** Enforces the config file's `rate_limits:`; absent when none are configured. */
  rateLimiter?: RateLimiter;
  /** Containers (code sessions with their files) of the Containers API and code_interpreter in responses. */
  containers: ContainerService;
}
