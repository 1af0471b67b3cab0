import type { ChatMessage, ChatRequest, ChatTool } from '../providers/chat-model.js';
import type { Message, Run, RunStep } from '../domain/types.js';
import type { Store } from '../store/store.js';

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

/** This run's own turns, in step order: tool calls with their outputs, and the messages it wrote. */
function stepTurns(steps: RunStep[], ownMessages: Map<string, Message>): ChatMessage[] {
  const out: ChatMessage[] = [];
  for (const step of steps) {
    const details = step.step_details;
    if (details.type === 'message_creation') {
      const message = ownMessages.get(details.message_creation.message_id);
      if (message) out.push(toChat(message));
      continue;
    }
    out.push({
      role: 'assistant',
      content: null,
      tool_calls: details.tool_calls.flatMap((c) => (c.type === 'function' ? [{ id: c.id, type: 'function' as const, function: { name: c.function.name, arguments: c.function.arguments } }] : [])),
    });
    for (const call of details.tool_calls) {
      if (call.type === 'function' && call.function.output !== null) out.push({ role: 'tool', tool_call_id: call.id, content: call.function.output });
    }
  }
  return out;
}

function chatTools(run: Run): ChatTool[] {
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
export async function buildChatRequest(store: Store, project: string, run: Run): Promise<ChatRequest> {
  const messages = await readAll((after) =>
    store.messages.list(project, { limit: 100, order: 'asc', after }, { thread_id: run.thread_id }),
  );
  const steps = await readAll((after) => store.runSteps.list(project, { limit: 100, order: 'asc', after }, { run_id: run.id }));
  const own = new Map(messages.filter((m) => m.run_id === run.id).map((m) => [m.id, m]));
  const chat: ChatMessage[] = [];
  if (run.instructions) chat.push({ role: 'system', content: run.instructions });
  for (const message of messages) if (message.run_id !== run.id) chat.push(toChat(message));
  chat.push(...stepTurns(steps, own));
  const tools = chatTools(run);
  const request: ChatRequest = { model: run.model, messages: chat, temperature: run.temperature, top_p: run.top_p };
  if (tools.length > 0) {
    request.tools = tools;
    request.parallel_tool_calls = run.parallel_tool_calls;
  }
  return request;
}
