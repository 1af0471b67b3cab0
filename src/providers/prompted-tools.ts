/**
 * Tool calling for models without it natively (`supports_tools: false`, or an upstream that answered 400 to
 * `tools`): the tools are described in the system prompt, earlier calls and their results are written into the
 * conversation as text, and calls are parsed out of the reply (tool-call-parser.ts). The engine sees the same
 * `ChatEvent`s as from a model with native tools, so function calling, code_interpreter and file_search work.
 */
import { randomBytes } from 'node:crypto';
import { ProviderError, type ChatEvent, type ChatMessage, type ChatModel, type ChatRequest, type ChatTool } from './chat-model.js';
import { ToolCallParser, type ParsedPiece } from './tool-call-parser.js';

/** When to prompt: always (the route says the model has no tools), or after the upstream rejected `tools`. */
export interface PromptedToolsOptions {
  always: boolean;
  /** Identifies the upstream model (endpoint and model name) for remembering a rejection. */
  key: string;
}

// Upstream models that answered 400 to `tools`: asked without tools from then on. Process-wide because the
// answer does not change while the process lives, and model objects are rebuilt from a bounded cache. Model
// names come from requests (wildcard routes pass any name on): beyond this many, the oldest is forgotten.
export const MAX_REMEMBERED_REJECTIONS = 10_000;
const rejectsTools = new Set<string>();

/**
 * Wraps a model so it takes `tools` in every case: natively while the upstream accepts them, else prompted.
 * Its info says `supportsTools: true`, since requests with tools now work either way.
 */
export function withPromptedTools(model: ChatModel, options: PromptedToolsOptions): ChatModel {
  return {
    info: { ...model.info, supportsTools: true },
    stream: (req, signal) => {
      if (options.always || rejectsTools.has(options.key)) return promptedStream(model, req, signal);
      // Without tools there is nothing to fall back for: no extra generator layer on the hot path.
      return req.tools?.length ? nativeWithFallback(model, options, req, signal) : model.stream(req, signal);
    },
    // A client's own chat-completions request goes to the upstream as written, tools or not.
    ...(model.forward ? { forward: model.forward } : {}),
  };
}

async function* nativeWithFallback(model: ChatModel, options: PromptedToolsOptions, req: ChatRequest, signal: AbortSignal): AsyncGenerator<ChatEvent> {
  let started = false;
  try {
    for await (const event of model.stream(req, signal)) {
      started = true;
      yield event;
    }
  } catch (err) {
    if (started || !isToolsRejection(err)) throw err;
    rejectsTools.add(options.key);
    if (rejectsTools.size > MAX_REMEMBERED_REJECTIONS) rejectsTools.delete(rejectsTools.values().next().value as string);
    yield* promptedStream(model, req, signal);
  }
}

/**
 * A 400 that is about tool calling itself, as servers word it: Ollama "does not support tools", vLLM "tool
 * choice requires --enable-auto-tool-choice", llama.cpp "tools param requires --jinja", older Azure
 * "Unrecognized request argument supplied: tools". A bad schema in one tool is the caller's error, not this.
 */
export function isToolsRejection(err: unknown): boolean {
  if (!(err instanceof ProviderError) || err.status !== 400) return false;
  const text = err.message;
  if (/schema/i.test(text)) return false;
  return /\btools?\b|tool[_ ]choice|function[_ ]call/i.test(text)
    && /not supported|unsupported|does ?n[o']t support|requires?|not enabled|not allowed|unrecognized|unknown|not permitted/i.test(text);
}

async function* promptedStream(model: ChatModel, req: ChatRequest, signal: AbortSignal): AsyncGenerator<ChatEvent> {
  const tools = req.tool_choice === 'none' ? [] : (req.tools ?? []);
  const upstream = promptedRequest(req, tools);
  if (tools.length === 0) {
    yield* model.stream(upstream, signal);
    return;
  }
  const parser = new ToolCallParser(new Set(tools.map((t) => t.function.name)));
  const single = req.parallel_tool_calls === false;
  let calls = 0;
  const convert = function* (pieces: ParsedPiece[]): Generator<ChatEvent> {
    for (const piece of pieces) {
      if (piece.type === 'text') yield { type: 'text', delta: piece.text };
      else if (!single || calls === 0) {
        yield { type: 'tool_call', index: calls++, id: `call_${randomBytes(12).toString('base64url')}`, name: piece.call.name, arguments_delta: piece.call.arguments };
      }
    }
  };
  let usage: ChatEvent | undefined;
  for await (const event of model.stream(upstream, signal)) {
    if (event.type === 'text') yield* convert(parser.push(event.delta));
    else if (event.type === 'usage') usage = event;
    else if (event.type === 'finish') {
      // Held-back text and calls come out before usage and finish, which end every stream.
      yield* convert(parser.end());
      if (usage) yield usage;
      yield { type: 'finish', reason: calls > 0 ? 'tool_calls' : event.reason };
    } else yield event;
  }
}

/** The request as a model without tools gets it: tools in the system prompt, calls and results as text. */
export function promptedRequest(req: ChatRequest, tools: ChatTool[]): ChatRequest {
  const { tools: _tools, tool_choice: _choice, parallel_tool_calls: _parallel, ...rest } = req;
  const messages = historyAsText(req.messages);
  if (tools.length > 0) {
    const guide = toolsPrompt(tools, req);
    const first = messages[0];
    if (first?.role === 'system') messages[0] = { role: 'system', content: `${first.content}\n\n${guide}` };
    else messages.unshift({ role: 'system', content: guide });
  }
  return { ...rest, messages };
}

function toolsPrompt(tools: ChatTool[], req: ChatRequest): string {
  const list = tools.map((t) => JSON.stringify({ name: t.function.name, description: t.function.description ?? '', parameters: t.function.parameters ?? { type: 'object', properties: {} } }));
  const choice = req.tool_choice;
  const must = typeof choice === 'object' ? `You must call the tool "${choice.function.name}" now.` : choice === 'required' ? 'You must call at least one tool now.' : 'Call a tool only when it helps to answer.';
  return [
    '# Tools',
    'You can call these tools (JSON Schema parameters):',
    '<tools>', ...list, '</tools>',
    'To call a tool, reply with one block per call, in exactly this form, and write nothing after the blocks:',
    '<tool_call>',
    '{"name": "<tool name>", "arguments": {<arguments as JSON>}}',
    '</tool_call>',
    req.parallel_tool_calls === false ? 'Call at most one tool per reply.' : 'You may call several tools in one reply.',
    'Each result comes back in a <tool_result> block. When you have what you need, answer normally without blocks.',
    must,
  ].join('\n');
}

/** Assistant calls become `<tool_call>` text; each run of tool results becomes one user message. */
function historyAsText(messages: ChatMessage[]): ChatMessage[] {
  const out: ChatMessage[] = [];
  const names = new Map<string, string>();
  let results: string[] = [];
  const flush = () => {
    if (results.length > 0) out.push({ role: 'user', content: results.join('\n') });
    results = [];
  };
  for (const message of messages) {
    if (message.role === 'tool') {
      const name = names.get(message.tool_call_id) ?? '';
      results.push(`<tool_result name="${name}" call_id="${message.tool_call_id}">\n${message.content}\n</tool_result>`);
      continue;
    }
    flush();
    if (message.role === 'assistant' && message.tool_calls?.length) {
      const blocks = message.tool_calls.map((call) => {
        names.set(call.id, call.function.name);
        return `<tool_call>\n{"name": ${JSON.stringify(call.function.name)}, "arguments": ${argumentsJson(call.function.arguments)}}\n</tool_call>`;
      });
      pushAssistant(out, [message.content ?? '', ...blocks].filter((part) => part !== '').join('\n'));
    } else if (message.role === 'assistant') pushAssistant(out, message.content ?? '');
    else out.push(message);
  }
  flush();
  return out;
}

/** Adjacent assistant turns (a message, then its calls) become one, as strict chat templates want turns to alternate. */
function pushAssistant(out: ChatMessage[], content: string): void {
  const last = out.at(-1);
  if (last?.role === 'assistant' && typeof last.content === 'string') out[out.length - 1] = { role: 'assistant', content: `${last.content}\n${content}` };
  else out.push({ role: 'assistant', content });
}

/** Arguments as written into the conversation: the JSON itself when it is JSON, else a JSON string. */
function argumentsJson(raw: string): string {
  try {
    JSON.parse(raw);
    return raw;
  } catch {
    return JSON.stringify(raw);
  }
}
