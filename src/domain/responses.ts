// Wire types of the Responses and Conversations APIs, spelled as openai-node 6.x spells them. Only the item
// kinds this server produces or accepts are modelled; stored rows hold these shapes.
import type { AttributeFilter } from '../search/search-index.js';
import type { MemoryLimit } from './containers.js';
import type { Metadata } from './types.js';

export type ItemStatus = 'in_progress' | 'completed' | 'incomplete';

export interface InputTextPart { type: 'input_text'; text: string }
export interface InputImagePart { type: 'input_image'; image_url?: string | null; file_id?: string | null; detail: 'low' | 'high' | 'auto' | 'original' }
export interface OutputTextPart { type: 'output_text'; text: string; annotations: unknown[]; logprobs?: unknown[] }
export interface RefusalPart { type: 'refusal'; refusal: string }
export type MessagePart = InputTextPart | InputImagePart | OutputTextPart | RefusalPart;

/** A message item: user, system and developer messages carry input parts; assistant messages output parts. */
export interface MessageItem {
  id: string;
  type: 'message';
  status: ItemStatus;
  role: 'user' | 'assistant' | 'system' | 'developer';
  content: MessagePart[];
}

export interface FunctionCallItem {
  id: string;
  type: 'function_call';
  status: ItemStatus;
  arguments: string;
  call_id: string;
  name: string;
}

export interface FunctionCallOutputItem {
  id: string;
  type: 'function_call_output';
  status: ItemStatus;
  call_id: string;
  output: string | Array<InputTextPart | InputImagePart>;
}

/** A result of a file_search call, shown only when the request includes `file_search_call.results`. */
export interface FileSearchCallResult {
  file_id: string;
  filename: string;
  score: number;
  text: string;
  attributes: Record<string, string | number | boolean>;
}

/** A search the server ran for the model (the file_search tool). */
export interface FileSearchCallItem {
  id: string;
  type: 'file_search_call';
  status: 'in_progress' | 'searching' | 'completed' | 'incomplete' | 'failed';
  queries: string[];
  results: FileSearchCallResult[] | null;
}

/** A passage of a file the answer cites; `index` is where in the text (in code points) the citation stands. */
export interface FileCitationAnnotation {
  type: 'file_citation';
  file_id: string;
  filename: string;
  index: number;
}

/** Code the server ran for the model (the code_interpreter tool) in a container; `outputs` only with include. */
export interface CodeInterpreterCallItem {
  id: string;
  type: 'code_interpreter_call';
  status: 'in_progress' | 'interpreting' | 'completed' | 'incomplete' | 'failed';
  code: string | null;
  container_id: string;
  outputs: Array<{ type: 'logs'; logs: string } | { type: 'image'; url: string }> | null;
}

/** A file the code wrote in a container, cited where the answer links it (`sandbox:/mnt/data/<name>`). */
export interface ContainerFileCitationAnnotation {
  type: 'container_file_citation';
  container_id: string;
  file_id: string;
  filename: string;
  start_index: number;
  end_index: number;
}

/** The annotations of an output text. */
export type OutputAnnotation = FileCitationAnnotation | ContainerFileCitationAnnotation;

/** An input item that names an earlier item (of the chain or conversation) instead of repeating it. */
export interface ItemReference {
  type: 'item_reference';
  id: string;
}

/** Every item a response's input, output or a conversation holds. */
export type ResponseItem = MessageItem | FunctionCallItem | FunctionCallOutputItem | FileSearchCallItem | CodeInterpreterCallItem;

/** A function tool as the Responses API spells it: flat, strict by default. */
export interface ResponseFunctionTool {
  type: 'function';
  name: string;
  description: string | null;
  parameters: Record<string, unknown> | null;
  strict: boolean;
}

/** The file_search tool over vector stores (the Assistants API's stores), with the hosted defaults filled in. */
export interface ResponseFileSearchTool {
  type: 'file_search';
  vector_store_ids: string[];
  filters: AttributeFilter | null;
  max_num_results: number;
  ranking_options: { ranker: string; score_threshold: number };
}

/**
 * The code_interpreter tool: a container named by id, or `auto`: one made when the model first runs code (with
 * these files and memory limit) and reused along the conversation or response chain while it lives.
 */
export interface ResponseCodeInterpreterTool {
  type: 'code_interpreter';
  container: string | { type: 'auto'; file_ids?: string[]; memory_limit?: MemoryLimit | null };
}

export type ResponseTool = ResponseFunctionTool | ResponseFileSearchTool | ResponseCodeInterpreterTool;

export type ResponseToolChoice = 'none' | 'auto' | 'required' | { type: 'function'; name: string } | { type: 'file_search' } | { type: 'code_interpreter' };

export type TextFormat =
  | { type: 'text' }
  | { type: 'json_object' }
  | { type: 'json_schema'; name: string; schema: Record<string, unknown>; description?: string; strict?: boolean | null };

export type ResponseStatus = 'completed' | 'failed' | 'in_progress' | 'cancelled' | 'queued' | 'incomplete';

export interface ResponseUsage {
  input_tokens: number;
  input_tokens_details: { cached_tokens: number };
  output_tokens: number;
  output_tokens_details: { reasoning_tokens: number };
  total_tokens: number;
}

/** The response object, as the hosted API returned it (`output_text` is the SDK's own convenience). */
export interface ResponseObject {
  id: string;
  object: 'response';
  created_at: number;
  status: ResponseStatus;
  background: boolean;
  completed_at: number | null;
  conversation: { id: string } | null;
  error: { code: string; message: string } | null;
  incomplete_details: { reason: 'max_output_tokens' | 'content_filter' } | null;
  instructions: string | null;
  max_output_tokens: number | null;
  max_tool_calls: number | null;
  metadata: Metadata;
  model: string;
  output: ResponseItem[];
  parallel_tool_calls: boolean;
  previous_response_id: string | null;
  prompt_cache_key: string | null;
  reasoning: { effort: string | null; summary: string | null };
  safety_identifier: string | null;
  service_tier: string;
  store: boolean;
  temperature: number;
  text: { format: TextFormat; verbosity: string };
  tool_choice: ResponseToolChoice;
  tools: ResponseTool[];
  top_logprobs: number;
  top_p: number;
  truncation: 'auto' | 'disabled';
  usage: ResponseUsage | null;
  user: string | null;
}

export interface Conversation {
  id: string;
  object: 'conversation';
  created_at: number;
  metadata: Metadata;
}
