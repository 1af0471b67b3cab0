// Wire types of the Assistants API v2, spelled exactly as the API (snake_case). Stored rows hold these shapes.

export type Metadata = Record<string, string>;

export interface FunctionDefinition {
  name: string;
  description?: string;
  parameters?: Record<string, unknown>;
  strict?: boolean | null;
}

export interface FileSearchToolOptions {
  max_num_results?: number;
  ranking_options?: { ranker?: string; score_threshold: number };
}

export type AssistantTool =
  | { type: 'code_interpreter' }
  | { type: 'file_search'; file_search?: FileSearchToolOptions }
  | { type: 'function'; function: FunctionDefinition };

export interface ToolResources {
  code_interpreter?: { file_ids: string[] };
  file_search?: { vector_store_ids: string[] };
}

export type ResponseFormat =
  | 'auto'
  | { type: 'text' }
  | { type: 'json_object' }
  | { type: 'json_schema'; json_schema: { name: string; description?: string; schema?: Record<string, unknown>; strict?: boolean | null } };

export interface Assistant {
  id: string;
  object: 'assistant';
  created_at: number;
  name: string | null;
  description: string | null;
  model: string;
  instructions: string | null;
  tools: AssistantTool[];
  tool_resources: ToolResources | null;
  metadata: Metadata;
  temperature: number | null;
  top_p: number | null;
  response_format: ResponseFormat | null;
}

export interface Thread {
  id: string;
  object: 'thread';
  created_at: number;
  metadata: Metadata;
  tool_resources: ToolResources | null;
}

export interface FileCitationAnnotation {
  type: 'file_citation';
  text: string;
  start_index: number;
  end_index: number;
  file_citation: { file_id: string; quote?: string };
}

export interface FilePathAnnotation {
  type: 'file_path';
  text: string;
  start_index: number;
  end_index: number;
  file_path: { file_id: string };
}

export type Annotation = FileCitationAnnotation | FilePathAnnotation;

export type MessageContent =
  | { type: 'text'; text: { value: string; annotations: Annotation[] } }
  | { type: 'image_file'; image_file: { file_id: string; detail?: 'auto' | 'low' | 'high' } }
  | { type: 'image_url'; image_url: { url: string; detail?: 'auto' | 'low' | 'high' } }
  | { type: 'refusal'; refusal: string };

export interface Attachment {
  file_id: string;
  tools: Array<{ type: 'code_interpreter' } | { type: 'file_search' }>;
}

export interface Message {
  id: string;
  object: 'thread.message';
  created_at: number;
  thread_id: string;
  status: 'in_progress' | 'incomplete' | 'completed';
  incomplete_details: { reason: string } | null;
  completed_at: number | null;
  incomplete_at: number | null;
  role: 'user' | 'assistant';
  content: MessageContent[];
  assistant_id: string | null;
  run_id: string | null;
  attachments: Attachment[] | null;
  metadata: Metadata;
}

export interface FileObject {
  id: string;
  object: 'file';
  bytes: number;
  created_at: number;
  expires_at?: number | null;
  filename: string;
  purpose: string;
  status: 'uploaded' | 'processed' | 'error';
  status_details: string | null;
}

export interface DeletedObject {
  id: string;
  object: string;
  deleted: true;
}

export interface ListPage<T> {
  object: 'list';
  data: T[];
  first_id: string | null;
  last_id: string | null;
  has_more: boolean;
}
