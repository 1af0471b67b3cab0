import { BadRequestError } from '../../domain/errors.js';
import { nowSeconds } from '../../domain/ids.js';
import type { ResponseItem, ResponseObject, ResponseUsage } from '../../domain/responses.js';
import { ProviderError, type ChatModel, type ChatRequest, type ChatUsage } from '../../providers/chat-model.js';
import type { ChatTurn } from '../../providers/collect-chat.js';
import type { BlobStore } from '../../blobs/blob-store.js';
import type { ModelRegistry } from '../../providers/registry.js';
import type { Store } from '../../store/store.js';
import type { RunEventLog } from '../events/run-events.js';
import { chainItems, checkCallOutputs, conversationItems, dropOldest, resolveReferences, storedCallItems } from './response-context.js';
import type { ResponseEventBody } from './response-output.js';
import { runTurns, turnStatus } from './response-turns.js';
import { eventView, responseView } from './response-includes.js';
import type { FileSearchToolOptions } from '../../tools/file-search.js';
import { inlineStoredImages } from './response-images.js';
import { buildResponseRequest } from './response-prompt.js';
import { codeInterpreterCalls, type CodeInterpreterOptions } from './response-code-interpreter.js';
import { newResponseObject, type ResponseRequest } from './response-request.js';

export interface ResponseEngineDeps {
  store: Store;
  models: ModelRegistry;
  /** Where images given by file id are read from; without it they are named in the text instead. */
  blobs?: BlobStore;
  /** How the file_search tool searches vector stores; without it, a response with the tool fails. */
  fileSearch?: FileSearchToolOptions;
  /** How the code_interpreter tool reaches containers (always given by the server; estimates need none). */
  codeInterpreter?: CodeInterpreterOptions;
  /** Gets what a response's `error` leaves out (the upstream's URL, its reply). */
  logger?: { warn(obj: object, msg: string): void };
}

/** A response checked against the store and ready to run: nothing is stored yet. */
export interface PreparedResponse {
  response: ResponseObject;
  input: ResponseItem[];
  model: ChatModel;
  request: ChatRequest;
  /** Extra output asked for (`file_search_call.results`). */
  include: string[];
  /** Estimated tokens of `request` (what `POST /responses/input_tokens` answers). */
  promptTokens: number;
  /** The context and the input: where code_interpreter finds the container the conversation used. */
  history: ResponseItem[];
  /** The API key (its hash) whose per-key token limit the model calls count against, where one is set. */
  keyId?: string;
}

// Room kept for the reply when a response sets no max_output_tokens, as for runs.
const DEFAULT_REPLY_RESERVE = 4096;

/** The chat request with as much context as fits: all of it, or (`truncation: auto`) without its oldest items. */
function fitRequest(req: ResponseRequest, context: ResponseItem[], input: ResponseItem[], model: ChatModel): { request: ChatRequest; promptTokens: number } {
  const info = model.info;
  const limit = info.contextWindow - Math.min(req.max_output_tokens ?? DEFAULT_REPLY_RESERVE, Math.floor(info.contextWindow / 2));
  const build = (items: ResponseItem[]) => buildResponseRequest({ ...req, items: [...items, ...input], format: req.text.format }, info);
  let built = build(context);
  for (let drop = 1; built.promptTokens > limit && req.truncation === 'auto' && drop <= context.length; drop++) built = build(dropOldest(context, drop));
  if (built.promptTokens > limit) {
    throw new BadRequestError(
      `Your input needs about ${built.promptTokens} tokens, more than model "${info.name}" takes (${info.contextWindow} tokens, less room for the reply). ` +
        "Shorten the input, or set truncation to 'auto' to drop the oldest items of the conversation.",
      'input',
      'context_length_exceeded',
    );
  }
  return built;
}

/** Checks a request's references (chain, conversation, call outputs) and builds its model call; `keyId`: see PreparedResponse. */
export async function prepareResponse(deps: ResponseEngineDeps, project: string, req: ResponseRequest, keyId?: string): Promise<PreparedResponse> {
  if (req.previous_response_id && req.conversation) {
    throw new BadRequestError("Mutually exclusive parameters: provide either 'previous_response_id' or 'conversation', not both.", 'previous_response_id', 'mutually_exclusive_parameters');
  }
  const context = req.previous_response_id
    ? await chainItems(deps.store, project, req.previous_response_id)
    : req.conversation
      ? await conversationItems(deps.store, project, req.conversation)
      : [];
  const input = await storedCallItems(deps.store, project, context, resolveReferences(context, req.input));
  checkCallOutputs(context, input);
  const model = deps.models.resolve(req.model, project, keyId === undefined ? undefined : { keyId });
  const images = { store: deps.store, project, vision: model.info.supportsVision, ...(deps.blobs ? { blobs: deps.blobs } : {}) };
  const seen = await inlineStoredImages([...context, ...input], images);
  const fitted = fitRequest(req, seen.slice(0, context.length), seen.slice(context.length), model);
  return { response: newResponseObject(req), input, model, include: req.include, history: [...context, ...input], ...fitted, ...(keyId === undefined ? {} : { keyId }) };
}

/** A failed model call as the response's `error`; the upstream's own words stay in the log. */
function responseError(err: unknown, signal: AbortSignal): { code: string; message: string } {
  if (err instanceof ProviderError) return { code: err.code, message: err.message };
  // Not a cancel (that one ends the response as cancelled): the server is stopping.
  if (signal.aborted) return { code: 'server_error', message: 'The server stopped before the response finished. Create it again.' };
  return { code: 'server_error', message: `The response failed: ${(err as Error)?.message ?? String(err)}` };
}

function responseUsage(usage: ChatUsage): ResponseUsage {
  return {
    input_tokens: usage.prompt_tokens,
    input_tokens_details: { cached_tokens: 0 },
    output_tokens: usage.completion_tokens,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: usage.total_tokens,
  };
}

/** Where a finished turn leaves the response: completed, or incomplete when the model was cut short. */
function settle(response: ResponseObject, turn: ChatTurn): void {
  response.usage = responseUsage(turn.usage);
  if (turnStatus(turn) === 'incomplete') {
    response.status = 'incomplete';
    response.incomplete_details = { reason: turn.finish_reason === 'length' ? 'max_output_tokens' : 'content_filter' };
    return;
  }
  response.status = 'completed';
  response.completed_at = nowSeconds();
}

/**
 * Where a background response's events go: its event log (which the stream of any replica reads), with the
 * event that ends it written in the same transaction as its status.
 */
export interface ResponseJournal {
  events: RunEventLog;
  /** True once another worker took the response over: this one writes nothing more. */
  lost(): boolean;
}

/**
 * Runs a prepared response: its model calls (and built-in tool calls), whose text and function calls become the
 * output items. Stored (when `store`) as in progress first, so it can be retrieved while it streams; a response
 * in a conversation adds its input and output items to it once it has an answer. `emit` gets every event of the
 * stream. A background response (`journal`) was stored and announced (created, queued) when it was queued.
 */
export async function executeResponse(
  deps: ResponseEngineDeps,
  project: string,
  prepared: PreparedResponse,
  emit: (event: ResponseEventBody) => void,
  signal: AbortSignal = new AbortController().signal,
  journal?: ResponseJournal,
): Promise<ResponseObject> {
  const { response, input } = prepared;
  if (response.background) {
    response.status = 'in_progress';
    // Cancelled while it waited: nothing to do.
    if (!(await deps.store.responses.replace(project, response))) return (await deps.store.responses.get(project, response.id)) ?? response;
  } else if (response.store) {
    await deps.store.responses.insert(project, response, input);
  }
  if (!journal) emit({ type: 'response.created', response });
  emit({ type: 'response.in_progress', response });
  const fileSearchTool = response.tools.find((t) => t.type === 'file_search');
  const code = codeInterpreterCalls(deps.codeInterpreter, project, response, prepared.history);
  const turns = { project, model: prepared.model, request: prepared.request, fileSearchTool, fileSearch: deps.fileSearch, maxToolCalls: response.max_tool_calls, code };
  const result = await runTurns(turns, (event) => emit(eventView(event, prepared.include)), signal);
  response.output = result.output;
  if ('error' in result) {
    if (!signal.aborted) deps.logger?.warn({ responseId: response.id, project, model: response.model, upstream: result.error instanceof ProviderError ? result.error.upstream : undefined, err: result.error }, 'model call failed');
    response.status = 'failed';
    response.error = responseError(result.error, signal);
  } else {
    settle(response, result.turn);
  }
  return endResponse(deps, project, prepared, emit, journal);
}

/**
 * Writes the response's end (and its conversation items) and sends the event that ends its stream. A response
 * cancelled meanwhile stays cancelled, adds nothing to its conversation, and is returned as stored.
 */
export async function endResponse(deps: ResponseEngineDeps, project: string, prepared: PreparedResponse, emit: (event: ResponseEventBody) => void, journal?: ResponseJournal): Promise<ResponseObject> {
  const { response, input } = prepared;
  if (journal?.lost()) return response;
  const end = { type: `response.${response.status}`, response: responseView(response, prepared.include) };
  await journal?.events.beginCommit(response.id);
  let written = false;
  try {
    written = await deps.store.transaction(async (tx) => {
      if (response.store && !(await tx.responses.replace(project, response))) return false;
      if (response.conversation && response.status !== 'failed') await tx.conversationItems.append(project, response.conversation.id, [...input, ...response.output], response.created_at);
      await journal?.events.commit(tx, project, response.id, [{ event: end.type, data: end }]);
      return true;
    });
  } finally {
    if (journal) written ? journal.events.committed(response.id) : journal.events.abandon(response.id);
  }
  if (!written) {
    // Cancelled: the stored response is the answer. Deleted meanwhile: the stream still gets its end.
    const current = await deps.store.responses.get(project, response.id);
    if (current) return current;
  }
  if (!journal) emit(end);
  return response;
}
