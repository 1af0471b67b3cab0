import { ID_PREFIX, newId, nowSeconds } from '../../domain/ids.js';
import type { Message, MessageContent, Run, RunStep } from '../../domain/types.js';
import { readAll } from '../../store/read-all.js';
import type { Store } from '../../store/store.js';
import type { BuiltinToolCall, BuiltinTools, MessageTouches } from '../../tools/builtin-tool.js';

/** The assistant message a run writes, created at its first text delta. */
export function assistantMessage(run: Run): Message {
  return {
    id: newId(ID_PREFIX.message),
    object: 'thread.message',
    created_at: nowSeconds(),
    thread_id: run.thread_id,
    status: 'in_progress',
    incomplete_details: null,
    completed_at: null,
    incomplete_at: null,
    role: 'assistant',
    content: [],
    assistant_id: run.assistant_id,
    run_id: run.id,
    attachments: [],
    metadata: {},
  };
}

/** Built-in tool calls since the run's previous message, and how many calls of each tool came before them. */
export interface CallsSinceMessage {
  calls: BuiltinToolCall[];
  earlier: Partial<Record<BuiltinToolCall['type'], number>>;
}

/** Built-in tool calls the run made since its previous message, read from the stored steps so a resumed run sees them too. */
export async function callsSinceLastMessage(store: Store, project: string, run: Run): Promise<CallsSinceMessage> {
  const steps = await readAll((after) => store.runSteps.list(project, { limit: 100, order: 'asc', after }, { run_id: run.id }));
  const builtin = (s: RunStep) => (s.step_details.type === 'tool_calls' ? s.step_details.tool_calls.filter((c): c is BuiltinToolCall => c.type !== 'function') : []);
  const lastMessage = steps.map((s) => s.step_details.type).lastIndexOf('message_creation');
  const earlier: CallsSinceMessage['earlier'] = {};
  for (const call of steps.slice(0, lastMessage + 1).flatMap(builtin)) earlier[call.type] = (earlier[call.type] ?? 0) + 1;
  return { calls: steps.slice(lastMessage + 1).flatMap(builtin), earlier };
}

type TouchesOf = (calls: BuiltinToolCall[], firstOrdinal: number) => MessageTouches;

/** No built-in calls before the message: nothing added, nothing held back. */
export const NO_TOUCHES: MessageTouches = { parts: [], annotate: () => [], openFrom: (text) => text.length };

/** What the built-in tools' calls since the previous message add to the next one, all tools together. */
export function messageTouches(tools: BuiltinTools, since: CallsSinceMessage): MessageTouches {
  const touches: MessageTouches[] = [];
  for (const tool of Object.values(tools)) {
    const own = since.calls.filter((c) => c.type === tool?.type);
    if (!tool?.messageTouches || own.length === 0) continue;
    touches.push((tool.messageTouches as TouchesOf)(own, since.earlier[tool.type] ?? 0));
  }
  if (touches.length === 0) return NO_TOUCHES;
  if (touches.length === 1) return touches[0]!;
  return {
    parts: touches.flatMap((t) => t.parts),
    annotate: (text) => touches.flatMap((t) => t.annotate(text)).sort((a, b) => a.start_index - b.start_index),
    openFrom: (text) => Math.min(...touches.map((t) => t.openFrom(text))),
  };
}

/** The final content of an assistant message: the tools' parts, then the model's text with its annotations. */
export function finalContent(touches: MessageTouches, text: string): MessageContent[] {
  if (!text) return touches.parts;
  return [...touches.parts, { type: 'text', text: { value: text, annotations: touches.annotate(text) } }];
}
