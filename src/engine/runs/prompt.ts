import type { BlobStore } from '../../blobs/blob-store.js';
import type { Message, Run, RunStep, StepToolCall } from '../../domain/types.js';
import type { ChatMessage, ChatModelInfo, ChatRequest, ChatTool, ChatToolCall } from '../../providers/chat-model.js';
import { lookupModel, contextWindowFor } from '../../providers/model-catalog.js';
import { estimatePromptTokens } from '../../providers/token-estimate.js';
import type { Store } from '../../store/store.js';
import type { CountedMessage } from '../../store/thread-messages.js';
import type { BuiltinToolCall } from '../../tools/builtin-tool.js';
import { admitMinimum, callBudget, replyLimit } from '../loop/prompt-budget.js';
import { fileLookup, promptMessage, textPromptMessage, type PromptMessage } from '../loop/prompt-content.js';
import { chatResponseFormat, chatToolChoice } from '../loop/prompt-options.js';
import { promptText } from '../../domain/messages.js';
import { selectThreadMessages } from './truncation.js';
import { readAll } from '../../store/read-all.js';
import { readThreadWindow } from './thread-window.js';

/** The built-in tools of one run, as the prompt needs them. */
export interface PromptTools {
  /** Function definitions of the built-in tools the run offers. */
  definitions: ChatTool[];
  /** How a finished built-in call is replayed to the model (see BuiltinTool.replay). */
  replay(call: BuiltinToolCall, ordinal: number): { arguments: string; output: string };
}

/** What the prompt needs beyond the run: the model it goes to, and where image bytes live. */
export interface PromptContext {
  /** Context window, vision and tool support; without it, the model catalog's guess for the run's model name. */
  model?: ChatModelInfo;
  /** Without it, stored images are described in text instead of sent. */
  blobs?: BlobStore;
  /** The run has no steps yet (its first model call, just after it was created): they are not read. */
  fresh?: boolean;
  /** The thread's every message, when this process just wrote them all (see ThreadWindowOptions.known): not read. */
  thread?: Message[];
  /** The thread's first page, read by the run's create (see ThreadWindowOptions.firstPage). */
  firstPage?: CountedMessage[];
}

/** A chat request and what it costs. */
export interface BuiltPrompt {
  request: ChatRequest;
  /** Estimated prompt tokens of `request` (the same count the budget used). */
  promptTokens: number;
}

function messageText(message: Message): string {
  return message.content.flatMap((part) => (part.type === 'text' ? [part.text.value] : [])).join('\n');
}

/** One recorded call as the assistant's tool call plus the tool message answering it (none while pending). */
function replayCall(call: StepToolCall, tools: PromptTools, ordinals: Map<string, number>): { call: ChatToolCall; output: string | null } {
  if (call.type === 'function') {
    return { call: { id: call.id, type: 'function', function: { name: call.function.name, arguments: call.function.arguments } }, output: call.function.output };
  }
  const ordinal = ordinals.get(call.type) ?? 0;
  ordinals.set(call.type, ordinal + 1);
  const replayed = tools.replay(call, ordinal);
  return { call: { id: call.id, type: 'function', function: { name: call.type, arguments: replayed.arguments } }, output: replayed.output };
}

/** This run's own turns, in step order: tool calls with their outputs, and the messages it wrote. */
function stepTurns(steps: RunStep[], ownMessages: Map<string, Message>, tools: PromptTools): ChatMessage[] {
  const out: ChatMessage[] = [];
  const ordinals = new Map<string, number>();
  for (const step of steps) {
    const details = step.step_details;
    if (details.type === 'message_creation') {
      const message = ownMessages.get(details.message_creation.message_id);
      if (message) out.push({ role: 'assistant', content: messageText(message) });
      continue;
    }
    const replayed = details.tool_calls.map((c) => replayCall(c, tools, ordinals));
    out.push({ role: 'assistant', content: null, tool_calls: replayed.map((r) => r.call) });
    for (const r of replayed) if (r.output !== null) out.push({ role: 'tool', tool_call_id: r.call.id, content: r.output });
  }
  return out;
}

/** The messages the run wrote so far, by id (its message_creation steps name them). */
async function ownMessages(store: Store, project: string, steps: RunStep[]): Promise<Map<string, Message>> {
  const own = new Map<string, Message>();
  for (const step of steps) {
    if (step.step_details.type !== 'message_creation') continue;
    const message = await store.messages.get(project, step.step_details.message_creation.message_id);
    if (message) own.set(message.id, message);
  }
  return own;
}

function functionTools(run: Run): ChatTool[] {
  return run.tools.flatMap((tool): ChatTool[] => {
    if (tool.type !== 'function') return [];
    const { name, description, parameters, strict } = tool.function;
    return [{
      type: 'function',
      function: { name, ...(description !== undefined ? { description } : {}), ...(parameters ? { parameters } : {}), ...(strict != null ? { strict } : {}) },
    }];
  });
}

/** What the model catalog knows about a model name, for callers that did not resolve the model. */
function guessModel(name: string): ChatModelInfo {
  return { name, provider: 'unknown', contextWindow: contextWindowFor(name), supportsTools: true, supportsVision: lookupModel(name)?.supportsVision ?? false };
}

/** Prompt tokens one message adds to a request (the estimate is a sum over messages). */
const EMPTY_PROMPT = estimatePromptTokens([]);
function messageCost(message: ChatMessage): number {
  return estimatePromptTokens([message]) - EMPTY_PROMPT;
}

/** A message whose prompt form depends on its own text alone (no images, no attachments), so its count can be stored. */
function textOnly(stored: CountedMessage): boolean {
  return stored.text !== null || promptText(stored.message!) !== null;
}

/**
 * New counts stored at once: fewer are cheaper to count again than to write, so a short thread costs its runs no
 * write, and a long one a write every few runs.
 */
const RECORD_MIN = 16;

/**
 * The prompt tokens of thread messages: stored counts where the message has one, else counted, and the new counts
 * collected for `record`, so the next run on the thread reads them instead of re-tokenizing the thread.
 */
function threadCosts() {
  const counted: Array<{ id: string; tokens: number }> = [];
  return {
    cost(item: PromptMessage, stored: CountedMessage): number {
      if (!textOnly(stored)) return messageCost(item.chat);
      if (stored.tokens !== null) return stored.tokens;
      const tokens = messageCost(item.chat);
      counted.push({ id: stored.id, tokens });
      return tokens;
    },
    /** Stores the new counts off the run's path; a count that fails to store is counted again next time. */
    record(store: Store, project: string): void {
      if (counted.length >= RECORD_MIN) void store.threadMessages.recordTokens(project, counted).catch(() => {});
    },
  };
}

/** The kept messages as sent: image bytes read for those that have images, the rest as they are (no promise each). */
async function loadAll(kept: PromptMessage[]): Promise<ChatMessage[]> {
  const chat = kept.map((m) => m.chat);
  await Promise.all(kept.flatMap((m, i) => (m.load ? [m.load().then((loaded) => (chat[i] = loaded))] : [])));
  return chat;
}

/**
 * The chat request for the run's next model call: its instructions as the system message, the thread's messages
 * before the run (truncated by the run's strategy to fit the context window and what is left of
 * max_prompt_tokens), then the run's own turns so far, which are never dropped. Throws a `RunBudgetError`
 * (`PromptBudgetError`, `CompletionBudgetError`) when a run budget is spent and a `ContextWindowError` when even
 * the smallest prompt cannot fit the model.
 */
export async function buildPrompt(store: Store, project: string, run: Run, builtin: PromptTools, context: PromptContext = {}): Promise<BuiltPrompt> {
  const model = context.model ?? guessModel(run.model);
  const budget = callBudget(run, model);
  const steps = context.fresh ? [] : await readAll((after) => store.runSteps.list(project, { limit: 100, order: 'asc', after }, { run_id: run.id }));
  const own = await ownMessages(store, project, steps);
  const system: ChatMessage[] = run.instructions ? [{ role: 'system', content: run.instructions }] : [];
  const turns = stepTurns(steps, own, builtin);
  const tools = model.supportsTools ? [...functionTools(run), ...builtin.definitions] : [];

  const files = fileLookup(store, project);
  const contentContext = { store, project, vision: model.supportsVision, ...(context.blobs ? { blobs: context.blobs } : {}) };
  const fixed = estimatePromptTokens([...system, ...turns], tools);
  // The thread may fill what the budget leaves after the fixed part; the newest message always has room.
  const room = (newestCost: number) => admitMinimum(fixed + newestCost, budget, model) - fixed;
  const counts = threadCosts();
  const { items: thread, costs } = await readThreadWindow(store, project, run, {
    convert: (stored) => (stored.text !== null ? textPromptMessage(stored.role, stored.text) : promptMessage(stored.message!, contentContext, files)),
    cost: counts.cost,
    room,
    ...(context.thread ? { known: context.thread } : {}),
    ...(context.firstPage ? { firstPage: context.firstPage } : {}),
  });
  counts.record(store, project);
  const cost = (i: number) => costs[i]!;
  // admitMinimum guarantees room for the newest message (the last item), so the selection always succeeds.
  const kept = selectThreadMessages({ count: thread.length, cost, isUser: (i) => thread[i]!.chat.role === 'user' }, run.truncation_strategy, room(costs.at(-1) ?? 0))!;
  const promptTokens = kept.reduce((sum, i) => sum + cost(i), fixed);

  const chat = [...system, ...(await loadAll(kept.map((i) => thread[i]!))), ...turns];
  const request: ChatRequest = { model: run.model, messages: chat, temperature: run.temperature, top_p: run.top_p };
  if (tools.length > 0) {
    request.tools = tools;
    request.parallel_tool_calls = run.parallel_tool_calls;
    if (run.tool_choice !== 'auto') request.tool_choice = chatToolChoice(run.tool_choice);
  }
  const responseFormat = chatResponseFormat(run.response_format);
  if (responseFormat) request.response_format = responseFormat;
  const maxTokens = replyLimit(promptTokens, budget, model);
  if (maxTokens !== undefined) request.max_tokens = maxTokens;
  return { request, promptTokens };
}

/** The request of `buildPrompt`, for callers that do not need its token count. */
export async function buildChatRequest(store: Store, project: string, run: Run, builtin: PromptTools, context: PromptContext = {}): Promise<ChatRequest> {
  return (await buildPrompt(store, project, run, builtin, context)).request;
}
