import { ID_PREFIX, newId, nowSeconds } from '../domain/ids.js';
import type { Message, MessageContent, Run, RunStep } from '../domain/types.js';
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

/**
 * Built-in tool calls the run made since its previous message and before `beforeStepId` (ids sort by creation),
 * read from the stored steps so a resumed run sees them too.
 */
export async function callsSinceLastMessage(store: Store, project: string, run: Run, beforeStepId?: string): Promise<BuiltinToolCall[]> {
  const page = await store.runSteps.list(project, { limit: 100, order: 'desc', ...(beforeStepId ? { after: beforeStepId } : {}) }, { run_id: run.id });
  const steps: RunStep[] = [];
  for (const step of page.data) {
    if (step.step_details.type === 'message_creation') break;
    steps.unshift(step);
  }
  return steps.flatMap((s) => (s.step_details.type === 'tool_calls' ? s.step_details.tool_calls.filter((c): c is BuiltinToolCall => c.type !== 'function') : []));
}

/** The final content of an assistant message: the model's text, then each built-in tool's touches. */
export async function finishContent(tools: BuiltinTools, text: string, calls: BuiltinToolCall[]): Promise<MessageContent[]> {
  let content: MessageContent[] = text ? [{ type: 'text', text: { value: text, annotations: [] } }] : [];
  for (const tool of Object.values(tools)) {
    if (!tool?.finishMessage) continue;
    const own = calls.filter((c) => c.type === tool.type);
    if (own.length === 0) continue;
    content = await (tool.finishMessage as (c: MessageContent[], calls: BuiltinToolCall[]) => Promise<MessageContent[]> | MessageContent[])(content, own);
  }
  return content;
}
