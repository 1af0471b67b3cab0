

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
}
export interface FileRow extends DocumentRow {
  purpose: string;
}

export interface RunRow extends DocumentRow {
  thread_id: string;
  status: string;
}
export interface RunStepRow extends DocumentRow {
  thread_id: string;
  run_id: string;
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

export interface Database {
  assistants: AssistantRow;
  threads: ThreadRow;
  messages: MessageRow;
  files: FileRow;
  runs: RunRow;
  run_steps: RunStepRow;
  api_keys: ApiKeyRow;
}
