import { ID_PREFIX, newId, nowSeconds } from '../domain/ids.js';
import type { Message, MessageContent, Run, RunStep } from '../domain/types.js';
import { readAll } from '../store/read-all.js';
import type { Store } from '../store/store.js';
import type { BuiltinToolCall, BuiltinTools } from '../tools/builtin-tool.js';

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

/**
 * Built-in tool calls the run made since its previous message and before `beforeStepId` (ids sort by creation),
 * read from the stored steps so a resumed run sees them too.
 */
export async function callsSinceLastMessage(store: Store, project: string, run: Run, beforeStepId?: string): Promise<CallsSinceMessage> {
  const all = await readAll((after) => store.runSteps.list(project, { limit: 100, order: 'asc', after }, { run_id: run.id }));
  const steps = all.filter((s) => beforeStepId === undefined || s.id < beforeStepId);
  const builtin = (s: RunStep) => (s.step_details.type === 'tool_calls' ? s.step_details.tool_calls.filter((c): c is BuiltinToolCall => c.type !== 'function') : []);
  const lastMessage = steps.map((s) => s.step_details.type).lastIndexOf('message_creation');
  const earlier: CallsSinceMessage['earlier'] = {};
  for (const call of steps.slice(0, lastMessage + 1).flatMap(builtin)) earlier[call.type] = (earlier[call.type] ?? 0) + 1;
  return { calls: steps.slice(lastMessage + 1).flatMap(builtin), earlier };
}

type FinishMessage = (content: MessageContent[], calls: BuiltinToolCall[], firstOrdinal: number) => Promise<MessageContent[]> | MessageContent[];

/** The final content of an assistant message: the model's text, then each built-in tool's touches. */
export async function finishContent(tools: BuiltinTools, text: string, since: CallsSinceMessage): Promise<MessageContent[]> {
  let content: MessageContent[] = text ? [{ type: 'text', text: { value: text, annotations: [] } }] : [];
  for (const tool of Object.values(tools)) {
    if (!tool?.finishMessage) continue;
    const own = since.calls.filter((c) => c.type === tool.type);
    if (own.length === 0) continue;
    content = await (tool.finishMessage as FinishMessage)(content, own, since.earlier[tool.type] ?? 0);
  }
  return content;
}
