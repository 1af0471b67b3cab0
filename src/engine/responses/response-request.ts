import { ID_PREFIX, newId, nowSeconds } from '../../domain/ids.js';
import type { ItemReference, ResponseItem, ResponseTool, ResponseObject, ResponseToolChoice, TextFormat } from '../../domain/responses.js';
import type { Metadata } from '../../domain/types.js';

/** A create request after validation: input items have their ids, tools their defaults. */
export interface ResponseRequest {
  model: string;
  /** Run after the create returns (queued), pollable and cancellable. */
  background: boolean;
  /** Items, or references to items of the chain or conversation (resolved when the response is prepared). */
  input: Array<ResponseItem | ItemReference>;
  instructions: string | null;
  tools: ResponseTool[];
  /** Names of the tools whose `strict` the client set itself. */
  explicitStrict: Set<string>;
  tool_choice: ResponseToolChoice;
  parallel_tool_calls: boolean;
  max_output_tokens: number | null;
  max_tool_calls: number | null;
  temperature: number | null;
  top_p: number | null;
  text: { format: TextFormat; verbosity: string };
  metadata: Metadata;
  store: boolean;
  previous_response_id: string | null;
  conversation: string | null;
  truncation: 'auto' | 'disabled';
  reasoning: { effort: string | null; summary: string | null };
  user: string | null;
  safety_identifier: string | null;
  prompt_cache_key: string | null;
  top_logprobs: number;
  /** Extra output the client asked for (`file_search_call.results`). */
  include: string[];
}

/** The response object a request starts as: queued or in progress, no output yet. Unset sampling shows the defaults. */
export function newResponseObject(req: ResponseRequest): ResponseObject {
  return {
    id: newId(ID_PREFIX.response),
    object: 'response',
    created_at: nowSeconds(),
    status: req.background ? 'queued' : 'in_progress',
    background: req.background,
    completed_at: null,
    conversation: req.conversation ? { id: req.conversation } : null,
    error: null,
    incomplete_details: null,
    instructions: req.instructions,
    max_output_tokens: req.max_output_tokens,
    max_tool_calls: req.max_tool_calls,
    metadata: req.metadata,
    model: req.model,
    output: [],
    parallel_tool_calls: req.parallel_tool_calls,
    previous_response_id: req.previous_response_id,
    prompt_cache_key: req.prompt_cache_key,
    reasoning: req.reasoning,
    safety_identifier: req.safety_identifier,
    service_tier: 'default',
    store: req.store,
    temperature: req.temperature ?? 1,
    text: req.text,
    tool_choice: req.tool_choice,
    tools: req.tools,
    top_logprobs: req.top_logprobs,
    top_p: req.top_p ?? 1,
    truncation: req.truncation,
    usage: null,
    user: req.user,
  };
}
