import { ID_PREFIX, newId } from '../../domain/ids.js';
import type { MessagePart, ResponseItem } from '../../domain/responses.js';
import type { Message, MessageContent, RunStep, StepToolCall } from '../../domain/types.js';
import { readAll } from '../../store/read-all.js';
import type { Store } from '../../store/store.js';

/** Something of a thread with its place in time: seconds, then the id's time-ordered tail. */
interface Entry {
  at: number;
  key: string;
  items: ResponseItem[];
}

function tail(id: string): string {
  return id.slice(id.indexOf('_') + 1);
}

function part(content: MessageContent, role: Message['role']): MessagePart {
  switch (content.type) {
    case 'text':
      return role === 'assistant' ? { type: 'output_text', text: content.text.value, annotations: [] } : { type: 'input_text', text: content.text.value };
    case 'refusal':
      return { type: 'refusal', refusal: content.refusal };
    case 'image_file':
      return { type: 'input_image', file_id: content.image_file.file_id, detail: content.image_file.detail ?? 'auto' };
    case 'image_url':
      return { type: 'input_image', image_url: content.image_url.url, detail: content.image_url.detail ?? 'auto' };
  }
}

/** A thread message as a message item; attachments are named in the text (the Responses API has no attachments). */
function messageItem(message: Message): ResponseItem {
  const content = message.content.map((c) => part(c, message.role));
  // Assistant messages carry output parts only; an image there is named instead.
  const parts = message.role === 'assistant' ? content.map((p): MessagePart => (p.type === 'input_image' ? { type: 'output_text', text: `[image ${p.file_id ?? p.image_url}]`, annotations: [] } : p)) : content;
  const attached = (message.attachments ?? []).map((a) => `${a.file_id}${a.tools.length ? ` (for ${a.tools.map((t) => t.type).join(', ')})` : ''}`);
  if (attached.length) parts.push(message.role === 'assistant' ? { type: 'output_text', text: `[attached files: ${attached.join('; ')}]`, annotations: [] } : { type: 'input_text', text: `[attached files: ${attached.join('; ')}]` });
  return { id: message.id, type: 'message', status: message.status, role: message.role, content: parts };
}

/** A recorded tool call as a function call and its output. Built-in calls keep their type as the name. */
function callItems(call: StepToolCall): ResponseItem[] {
  const [name, args, output] =
    call.type === 'function'
      ? [call.function.name, call.function.arguments, call.function.output]
      : call.type === 'code_interpreter'
        ? ['code_interpreter', JSON.stringify({ code: call.code_interpreter.input }), call.code_interpreter.outputs.map((o) => (o.type === 'logs' ? o.logs : `[image ${o.image.file_id}]`)).join('\n')]
        : ['file_search', '{}', JSON.stringify((call.file_search.results ?? []).map((r) => ({ file_id: r.file_id, file_name: r.file_name, score: r.score })))];
  const items: ResponseItem[] = [{ id: newId(ID_PREFIX.functionCall), type: 'function_call', status: 'completed', arguments: args, call_id: call.id, name }];
  if (output !== null) items.push({ id: newId(ID_PREFIX.functionCallOutput), type: 'function_call_output', status: 'completed', call_id: call.id, output });
  return items;
}

/**
 * A thread's history as conversation items, in the order it happened: its messages, and the tool calls of its
 * runs (each with its output) before the message the run wrote after them. A run's message goes where its
 * message_creation step is; messages keep their ids.
 */
export async function threadItems(store: Store, project: string, threadId: string): Promise<ResponseItem[]> {
  const messages = await readAll((after) => store.messages.list(project, { limit: 100, order: 'asc', after }, { thread_id: threadId }));
  const steps = await readAll((after) => store.runSteps.list(project, { limit: 100, order: 'asc', after }, { thread_id: threadId }));
  const byId = new Map(messages.map((m) => [m.id, m]));
  const placed = new Set<string>();
  const entries: Entry[] = [];
  for (const step of steps as RunStep[]) {
    const details = step.step_details;
    if (details.type === 'tool_calls') {
      entries.push({ at: step.created_at, key: tail(step.id), items: details.tool_calls.flatMap(callItems) });
      continue;
    }
    const message = byId.get(details.message_creation.message_id);
    if (!message) continue;
    placed.add(message.id);
    entries.push({ at: step.created_at, key: tail(step.id), items: [messageItem(message)] });
  }
  for (const message of messages) if (!placed.has(message.id)) entries.push({ at: message.created_at, key: tail(message.id), items: [messageItem(message)] });
  entries.sort((a, b) => a.at - b.at || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return entries.flatMap((e) => e.items);
}
