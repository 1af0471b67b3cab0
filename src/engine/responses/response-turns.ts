import { ID_PREFIX, newId } from '../../domain/ids.js';
import type { ItemStatus, ResponseFileSearchTool, ResponseItem } from '../../domain/responses.js';
import type { ChatModel, ChatRequest, ChatUsage } from '../../providers/chat-model.js';
import type { ChatTurn } from '../../providers/collect-chat.js';
import { addUsage, streamModelCall, type FunctionCallDelta } from '../loop/model-call.js';
import type { FileSearchToolOptions } from '../../tools/file-search.js';
import type { CitableCall } from '../../tools/file-citations.js';
import { chainAnnotators, ContainerLinkText, type TextAnnotator } from './container-links.js';
import { CitationText } from './response-citations.js';
import type { CodeInterpreterCalls } from './response-code-interpreter.js';
import { runFileSearchCall } from './response-file-search.js';
import { OutputBuilder, type ResponseEventBody } from './response-output.js';

/** The built-in tool calls one response may make when it sets no max_tool_calls. */
const DEFAULT_MAX_TOOL_CALLS = 10;

/** What running a response's model turns needs. */
export interface TurnsInput {
  project: string;
  model: ChatModel;
  request: ChatRequest;
  fileSearchTool: ResponseFileSearchTool | undefined;
  /** How file_search searches; required when the response has the tool. */
  fileSearch: FileSearchToolOptions | undefined;
  maxToolCalls: number | null;
  /** The response's code_interpreter calls, when it has the tool. */
  code?: CodeInterpreterCalls | undefined;
}

/** The output of every turn, and the last turn (usage summed over all of them) or the error that ended it. */
export type TurnsResult = { output: ResponseItem[] } & ({ turn: ChatTurn } | { error: unknown });

/** A turn the model finished, or one cut short (max tokens, content filter). */
export function turnStatus(turn: ChatTurn): ItemStatus {
  return turn.finish_reason === 'length' || turn.finish_reason === 'content_filter' ? 'incomplete' : 'completed';
}

/**
 * Streams one model call (the loop both APIs share) into the output builder; calls of built-in tools (named in
 * `builtins`) are not output items of their own (the server runs them).
 */
async function callModel(model: ChatModel, request: ChatRequest, output: OutputBuilder, builtins: ReadonlySet<string>, signal: AbortSignal): Promise<ChatTurn | { error: unknown }> {
  const sink = { text: (delta: string) => output.text(delta), functionCall: (d: FunctionCallDelta) => output.toolCall(d.index, d.arguments, d.id, d.name) };
  const result = await streamModelCall(model, request, builtins, sink, signal);
  return 'turn' in result ? result.turn : result;
}

/** What turns the answer's citation markers (after searches) and file links (after code) into annotations. */
function annotator(searches: CitableCall[], code: CodeInterpreterCalls | undefined): TextAnnotator | undefined {
  const cites = searches.length > 0 ? new CitationText(searches) : undefined;
  const links = code && code.files.size > 0 ? new ContainerLinkText(code.files) : undefined;
  return cites && links ? chainAnnotators(cites, links) : (cites ?? links);
}

/**
 * Runs a response's model turns: a turn that calls file_search or code_interpreter gets the call run here (a
 * file_search_call or code_interpreter_call item) and the model is called again with its result; the answer's
 * citation markers and links to container files become annotations. Ends at a turn without built-in calls, or
 * one that also calls the client's functions (their outputs come from the client). After `max_tool_calls`
 * built-in calls the model must answer.
 */
export async function runTurns(input: TurnsInput, emit: (event: ResponseEventBody) => void, signal: AbortSignal): Promise<TurnsResult> {
  const output: ResponseItem[] = [];
  const searches: CitableCall[] = [];
  const request: ChatRequest = { ...input.request, messages: [...input.request.messages] };
  const tool = input.fileSearch ? input.fileSearchTool : undefined;
  const builtins = new Set([...(tool ? ['file_search'] : []), ...(input.code ? ['code_interpreter'] : [])]);
  let made = 0;
  let usage: ChatUsage = { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 };
  for (;;) {
    const builder = new OutputBuilder(emit, output.length, annotator(searches, input.code));
    const result = await callModel(input.model, request, builder, builtins, signal);
    if ('error' in result) return { output: [...output, ...builder.finish('incomplete')], error: result.error };
    usage = addUsage(usage, result.usage);
    const turn = { ...result, usage };
    const status = turnStatus(turn);
    output.push(...builder.finish(status));
    const calls = status === 'completed' ? result.tool_calls.filter((c) => builtins.has(c.function.name)) : [];
    const limit = input.maxToolCalls ?? DEFAULT_MAX_TOOL_CALLS;
    // A model that searches on past the limit (told to answer) ends the response with what it wrote.
    if (calls.length === 0 || made >= limit) return { output, turn };
    for (const call of result.tool_calls) call.id ||= newId(ID_PREFIX.call);
    request.messages.push({ role: 'assistant', content: result.text || null, tool_calls: result.tool_calls });
    for (const call of calls) {
      if (made >= limit) {
        request.messages.push({ role: 'tool', tool_call_id: call.id, content: `Not run: this response may make ${limit} tool calls. Answer with what you have.` });
        continue;
      }
      made++;
      if (call.function.name === 'code_interpreter') {
        const done = await input.code!.run(call.function.arguments, { outputIndex: output.length, emit, signal });
        output.push(done.item);
        if ('error' in done) return { output, error: done.error };
        request.messages.push({ role: 'tool', tool_call_id: call.id, content: done.forModel });
        continue;
      }
      const ctx = { project: input.project, outputIndex: output.length, ordinal: searches.length, contextWindow: input.model.info.contextWindow, emit, signal };
      const done = await runFileSearchCall(input.fileSearch!, tool!, call.function.arguments, ctx);
      output.push(done.item);
      if ('error' in done) return { output, error: done.error };
      searches.push(done.cited);
      request.messages.push({ role: 'tool', tool_call_id: call.id, content: done.forModel });
    }
    if (calls.length < result.tool_calls.length) return { output, turn };
    // A forced call was made; after the limit, the model answers with what it has.
    if (made >= limit) request.tool_choice = 'none';
    else delete request.tool_choice;
  }
}
