import type { ChatMessage, ChatRequest, ChatTool, ChatToolCall } from '../providers/chat-model.js';
import type { Message, Run, RunStep, StepToolCall } from '../domain/types.js';
import type { Store } from '../store/store.js';
import type { BuiltinToolCall } from '../tools/builtin-tool.js';

/** The built-in tools of one run, as the prompt needs them. */
export interface PromptTools {
  /** Function definitions of the built-in tools the run offers. */
  definitions: ChatTool[];
  /** How a finished built-in call is replayed to the model (see BuiltinTool.replay). */
  replay(call: BuiltinToolCall, ordinal: number): { arguments: string; output: string };
}

/** Every item of a scoped list in ascending order, page by page. */
async function readAll<T extends { id: string; created_at: number }>(
  list: (after: string | undefined) => Promise<{ data: T[]; has_more: boolean }>,
): Promise<T[]> {
  const out: T[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await list(after);
    out.push(...page.data);
    if (!page.has_more || page.data.length === 0) return out;
    after = page.data[page.data.length - 1]!.id;
  }
}

function messageText(message: Message): string {
  return message.content.flatMap((part) => (part.type === 'text' ? [part.text.value] : [])).join('\n');
}

function toChat(message: Message): ChatMessage {
  return message.role === 'user' ? { role: 'user', content: messageText(message) } : { role: 'assistant', content: messageText(message) };
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
      if (message) out.push(toChat(message));
      continue;
    }
    const replayed = details.tool_calls.map((c) => replayCall(c, tools, ordinals));
    out.push({ role: 'assistant', content: null, tool_calls: replayed.map((r) => r.call) });
    for (const r of replayed) if (r.output !== null) out.push({ role: 'tool', tool_call_id: r.call.id, content: r.output });
  }
  return out;
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

/**
 * The chat request for the run's next model call: its instructions as the system message, the thread's
 * messages before the run in order, then the run's own turns so far.
 */
export async function buildChatRequest(store: Store, project: string, run: Run, builtin: PromptTools): Promise<ChatRequest> {
  const messages = await readAll((after) =>
    store.messages.list(project, { limit: 100, order: 'asc', after }, { thread_id: run.thread_id }),
  );
  const steps = await readAll((after) => store.runSteps.list(project, { limit: 100, order: 'asc', after }, { run_id: run.id }));
  const own = new Map(messages.filter((m) => m.run_id === run.id).map((m) => [m.id, m]));
  const chat: ChatMessage[] = [];
  if (run.instructions) chat.push({ role: 'system', content: run.instructions });
  for (const message of messages) if (message.run_id !== run.id) chat.push(toChat(message));
  chat.push(...stepTurns(steps, own, builtin));
  const tools = [...functionTools(run), ...builtin.definitions];
  const request: ChatRequest = { model: run.model, messages: chat, temperature: run.temperature, top_p: run.top_p };
  if (tools.length > 0) {
    request.tools = tools;
    request.parallel_tool_calls = run.parallel_tool_calls;
  }
  return request;
}
