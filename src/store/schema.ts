import type { Generated } from 'kysely';


// Row types as Kysely sees them. Objects live in `data` as their wire JSON; the other columns exist to find them.

interface DocumentRow {
  id: string;
  project: string;
  created_at: number;
  data: string;
}

export interface AssistantRow extends DocumentRow {}
export interface ThreadRow extends DocumentRow {}
export interface MessageRow extends DocumentRow {
  thread_id: string;
  run_id: string | null;
  /** Prompt tokens (o200k_base) as the engine last counted them; null until counted and after each write. */
  o200k_tokens: number | null;
  /** The message's role; null on rows written before migration 0017. */
  role: string | null;
  /** What a prompt sends for the message when its text alone decides it (domain `promptText`), else null. */
  prompt_text: string | null;
}
export interface FileRow extends DocumentRow {
  purpose: string;
}

export interface RunRow extends DocumentRow {
  thread_id: string;
  status: string;
  expires_at: number | null;
  lease_owner: string | null;
  /** Unix milliseconds. */
  lease_until: number | null;
  previous_owner: string | null;
  /** The hash of the API key that created the run, when per-key limits apply; else null. */
  key_id: string | null;
}

export interface RunEventRow {
  run_id: string;
  seq: number;
  project: string;
  event: string;
  data: string;
  created_at: number;
}
export interface RunStepRow extends DocumentRow {
  thread_id: string;
  run_id: string;
}

export interface VectorStoreRow extends DocumentRow {
  /** 'active' or 'expired', so the expiry sweep finds live stores past their time. */
  status: string;
  expires_at: number | null;
}
export interface VectorStoreFileBatchRow extends DocumentRow {
  vector_store_id: string;
}
/** Static parts of the wire object in `data`; ingestion state in columns, each updated by one statement. */
export interface VectorStoreFileRow {
  project: string;
  vector_store_id: string;
  file_id: string;
  batch_id: string | null;
  created_at: number;
  status: string;
  usage_bytes: number;
  last_error: string | null;
  job: string;
  /** Unix milliseconds. */
  lease_until: number | null;
  data: string;
}

export interface ApiKeyRow {
  id: string;
  project: string;
  name: string;
  hash: string;
  hint: string;
  created_at: number;
  revoked_at: number | null;
}

/** Change counters per vector store in the search index (see search-index-migration.ts). */
export interface SearchStoreRow {
  vector_store_id: string;
  project: string;
  version: number;
  removals: number;
  /** The model every vector of the store comes from; null while some chunk waits for one. */
  embedding_model: string | null;
}
export interface SearchFileRow {
  vector_store_id: string;
  file_id: string;
  project: string;
  filename: string;
  /** JSON object. */
  attributes: string;
  version: number;
}
export interface SearchChunkRow {
  seq: Generated<number>;
  project: string;
  vector_store_id: string;
  file_id: string;
  chunk_index: number;
  version: number;
  text: string;
  /** float32 little-endian; null when no embedding model was configured. */
  embedding: Uint8Array | null;
  /** The key of the model that made `embedding` (name and size). */
  embedding_model: string | null;
}

export interface ResponseRow extends DocumentRow {
  /** JSON array of the response's own input items. */
  input: string;
  status: string;
  previous_response_id: string | null;
  conversation_id: string | null;
  /** JSON of a background response's prepared model call; null for the others. */
  job: string | null;
  lease_owner: string | null;
  lease_until: number | null;
  previous_owner: string | null;
}
export interface ConversationRow extends DocumentRow {}
export interface ConversationItemRow {
  project: string;
  conversation_id: string;
  position: number;
  id: string;
  created_at: number;
  data: string;
}

export interface Database {
  assistants: AssistantRow;
  threads: ThreadRow;
  messages: MessageRow;
  files: FileRow;
  runs: RunRow;
  run_steps: RunStepRow;
  run_events: RunEventRow;
  api_keys: ApiKeyRow;
  vector_stores: VectorStoreRow;
  vector_store_files: VectorStoreFileRow;
  vector_store_file_batches: VectorStoreFileBatchRow;
  search_stores: SearchStoreRow;
  search_files: SearchFileRow;
  search_chunks: SearchChunkRow;
  scripts: ScriptRow;
  responses: ResponseRow;
  conversations: ConversationRow;
  conversation_items: ConversationItemRow;
  rate_limit_windows: RateLimitWindowRow;
  thread_sessions: ThreadSessionRow;
  containers: ContainerRow;
  container_files: ContainerFileRow;
}

/** The replica (run worker id) holding a thread's live code session, while it renews `until` (unix ms). */
export interface ThreadSessionRow {
  thread_id: string;
  owner: string;
  until: number;
}

/** Requests and tokens one key or project used in one minute (scope: `key:<hash>` or `project:<name>`). */
export interface RateLimitWindowRow {
  scope: string;
  window_start: number;
  requests: number;
  tokens: number;
}

export interface ContainerRow extends DocumentRow {
  name: string;
  thread_id: string | null;
}
export interface ContainerFileRow extends DocumentRow {
  container_id: string;
  path: string;
}

export interface ScriptRow {
  project: string;
  name: string;
  data: string;
  created_at: number;
  updated_at: number;
}
