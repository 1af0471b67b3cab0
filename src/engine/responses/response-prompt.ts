import type { MessageItem, MessagePart, ResponseItem, ResponseTool, ResponseToolChoice, TextFormat } from '../../domain/responses.js';
import type { ChatContentPart, ChatMessage, ChatModelInfo, ChatRequest, ChatTool, ChatToolCall } from '../../providers/chat-model.js';
import { estimatePromptTokens } from '../../providers/token-estimate.js';
import { fileSearchFunction } from '../../tools/file-search.js';
import { replayFileSearchCall } from './response-file-search.js';
import { codeInterpreterFunction, replayCodeInterpreterCall } from './response-code-interpreter.js';

/** What of a response request the model call is built from. */
export interface ResponsePromptInput {
  model: string;
  instructions: string | null;
  /** The context (chain or conversation) followed by the request's own input items. */
  items: ResponseItem[];
  tools: ResponseTool[];
  /** Which tools' `strict` the client set (the echoed default of true is not sent to a chat model). */
  explicitStrict: ReadonlySet<string>;
  tool_choice: ResponseToolChoice;
  parallel_tool_calls: boolean;
  temperature: number | null;
  top_p: number | null;
  max_output_tokens: number | null;
  format: TextFormat;
}

function partsText(parts: MessagePart[]): string {
  return parts.flatMap((p) => (p.type === 'input_text' || p.type === 'output_text' ? [p.text] : p.type === 'refusal' ? [p.refusal] : [])).join('\n');
}

/** A user message's parts for the model: images go as images when it sees them, else as a note in the text. */
function userContent(item: MessageItem, vision: boolean): string | ChatContentPart[] {
  if (!item.content.some((p) => p.type === 'input_image')) return partsText(item.content);
  const parts = item.content.flatMap((p): ChatContentPart[] => {
    if (p.type === 'input_image' && p.image_url) {
      // Chat models know no 'original' detail; it asks for the most detail there is.
      const detail = p.detail === 'original' ? 'high' : p.detail;
      return vision ? [{ type: 'image_url', image_url: { url: p.image_url, detail } }] : [{ type: 'text', text: '[image not shown: this model does not take images]' }];
    }
    if (p.type === 'input_text' || p.type === 'output_text') return [{ type: 'text', text: p.text }];
    return [];
  });
  // Plain text stays a string, which every server accepts; parts only when an image is sent.
  return parts.every((p) => p.type === 'text') ? parts.map((p) => p.text).join('\n') : parts;
}

/** Consecutive calls, and calls right after the assistant's text, become one assistant message. */
function pushToolCall(out: ChatMessage[], call: ChatToolCall): void {
  const last = out.at(-1);
  if (last?.role === 'assistant') (last.tool_calls ??= []).push(call);
  else out.push({ role: 'assistant', content: null, tool_calls: [call] });
}

/**
 * Items in chat-completions shape: messages by role, function calls as the assistant's tool calls (consecutive
 * calls, and calls right after the assistant's text, become one assistant message) and their outputs as tool
 * messages.
 */
export function itemsToChat(items: ResponseItem[], vision: boolean): ChatMessage[] {
  const out: ChatMessage[] = [];
  for (const item of items) {
    if (item.type === 'message') {
      if (item.role === 'user') out.push({ role: 'user', content: userContent(item, vision) });
      else if (item.role === 'assistant') out.push({ role: 'assistant', content: partsText(item.content) });
      else out.push({ role: 'system', content: partsText(item.content) });
    } else if (item.type === 'function_call') {
      pushToolCall(out, { id: item.call_id, type: 'function', function: { name: item.name, arguments: item.arguments } });
    } else if (item.type === 'file_search_call') {
      // Replayed as the call the model made and the tool message it got, like a function call and its output.
      pushToolCall(out, { id: item.id, type: 'function', function: { name: 'file_search', arguments: JSON.stringify({ queries: item.queries }) } });
      out.push({ role: 'tool', tool_call_id: item.id, content: replayFileSearchCall(item) });
    } else if (item.type === 'code_interpreter_call') {
      pushToolCall(out, { id: item.id, type: 'function', function: { name: 'code_interpreter', arguments: JSON.stringify({ code: item.code ?? '' }) } });
      out.push({ role: 'tool', tool_call_id: item.id, content: replayCodeInterpreterCall(item) });
    } else {
      const output = typeof item.output === 'string' ? item.output : partsText(item.output);
      out.push({ role: 'tool', tool_call_id: item.call_id, content: output });
    }
  }
  return out;
}

function chatTools(input: ResponsePromptInput): ChatTool[] {
  return input.tools.map((t): ChatTool => {
    if (t.type === 'file_search') return fileSearchFunction();
    if (t.type === 'code_interpreter') return codeInterpreterFunction();
    const fn = {
      name: t.name,
      ...(t.description !== null ? { description: t.description } : {}),
      ...(t.parameters ? { parameters: t.parameters } : {}),
      ...(input.explicitStrict.has(t.name) ? { strict: t.strict } : {}),
    };
    return { type: 'function', function: fn };
  });
}

function responseFormat(format: TextFormat): object | undefined {
  if (format.type === 'text') return undefined;
  if (format.type === 'json_object') return { type: 'json_object' };
  const { name, schema, description, strict } = format;
  return { type: 'json_schema', json_schema: { name, schema, ...(description !== undefined ? { description } : {}), ...(strict != null ? { strict } : {}) } };
}

/** The chat request for one response, and its estimated prompt tokens. */
export function buildResponseRequest(input: ResponsePromptInput, model: ChatModelInfo): { request: ChatRequest; promptTokens: number } {
  const system: ChatMessage[] = input.instructions ? [{ role: 'system', content: input.instructions }] : [];
  const messages = [...system, ...itemsToChat(input.items, model.supportsVision)];
  const tools = model.supportsTools ? chatTools(input) : [];
  const request: ChatRequest = { model: input.model, messages, temperature: input.temperature, top_p: input.top_p };
  if (tools.length > 0) {
    request.tools = tools;
    request.parallel_tool_calls = input.parallel_tool_calls;
    const choice = input.tool_choice;
    if (choice !== 'auto') request.tool_choice = typeof choice === 'string' ? choice : { type: 'function', function: { name: choice.type === 'function' ? choice.name : choice.type } };
  }
  const format = responseFormat(input.format);
  if (format) request.response_format = format;
  if (input.max_output_tokens !== null) request.max_tokens = input.max_output_tokens;
  return { request, promptTokens: estimatePromptTokens(messages, tools) };
}
