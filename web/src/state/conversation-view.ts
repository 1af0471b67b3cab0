import type { FileSearchCallItem, FunctionCallItem, FunctionCallOutputItem, MessageItem, ResponseObject } from '../../../src/domain/responses';
import { upsert } from './upsert';

/**
 * A code_interpreter call as openai-node spells it (`ResponseCodeInterpreterToolCall`): the code, the container it
 * ran in, and its outputs (logs, images by URL) when the request included `code_interpreter_call.outputs`.
 */
export interface CodeInterpreterCallItem {
  id: string;
  type: 'code_interpreter_call';
  status: 'in_progress' | 'completed' | 'incomplete' | 'interpreting' | 'failed';
  code: string | null;
  container_id: string;
  outputs: Array<{ type: 'logs'; logs: string } | { type: 'image'; url: string }> | null;
}

/** An item of a kind this page has no view for; shown by its type and fields. */
export interface OtherItem {
  id: string;
  type: string;
  status?: string;
  [field: string]: unknown;
}

export type Item = MessageItem | FunctionCallItem | FunctionCallOutputItem | FileSearchCallItem | CodeInterpreterCallItem;
export type AnyItem = Item | OtherItem;
export type Response = Omit<ResponseObject, 'output'> & { output: AnyItem[] };

/** What Responses mode shows of one conversation: its items in order, and the responses made in it that this browser knows. */
export interface ConversationView {
  conversationId: string | null;
  items: AnyItem[];
  responses: Response[];
  /** The last `error` event of a stream, shown until the next response starts. */
  streamError: string | null;
}

export const emptyConversationView = (conversationId: string | null = null): ConversationView => ({ conversationId, items: [], responses: [], streamError: null });

/** Applies a change to an item wherever it is shown: the conversation's items and its response's output. */
function updateItem(view: ConversationView, itemId: string, change: (item: AnyItem) => AnyItem): ConversationView {
  const apply = (list: AnyItem[]) => (list.some((i) => i.id === itemId) ? list.map((i) => (i.id === itemId ? change(i) : i)) : list);
  return { ...view, items: apply(view.items), responses: view.responses.map((r) => ({ ...r, output: apply(r.output) })) };
}

function changePart(item: AnyItem, index: number, change: (part: Record<string, unknown>) => Record<string, unknown>): AnyItem {
  if (item.type !== 'message') return item;
  const message = item as MessageItem;
  const content = message.content.slice() as unknown as Array<Record<string, unknown>>;
  content[index] = change(content[index] ?? { type: 'output_text', text: '', annotations: [] });
  return { ...message, content } as unknown as MessageItem;
}

interface StreamEvent {
  response?: Response;
  item?: AnyItem;
  output_index?: number;
  item_id?: string;
  content_index?: number;
  annotation_index?: number;
  annotation?: unknown;
  part?: Record<string, unknown>;
  delta?: string;
  arguments?: string;
  code?: string;
  message?: string;
}

function withOutputItem(view: ConversationView, item: AnyItem, outputIndex: number | undefined): ConversationView {
  const responses = view.responses.map((r, i) => {
    if (i !== view.responses.length - 1) return r;
    const output = r.output.slice();
    output[outputIndex ?? output.length] = item;
    return { ...r, output };
  });
  return { ...view, items: upsert(view.items, item), responses };
}

/**
 * Folds one event of a streamed response (`POST /v1/responses` with `stream: true`) into the view. Tool-call
 * progress events (`response.<kind>_call.<status>`) set that item's status, whatever the tool.
 */
export function applyResponseEvent(view: ConversationView, type: string, data: StreamEvent): ConversationView {
  if (type === 'error') return { ...view, streamError: data.message ?? 'The response stream failed.' };
  if (data.response && /^response\.(created|queued|in_progress|completed|incomplete|failed|cancelled)$/.test(type)) {
    const next = { ...view, responses: upsert(view.responses, data.response), streamError: type === 'response.created' ? null : view.streamError };
    // The final response carries every output item in its final form.
    return type === 'response.created' || type === 'response.in_progress' ? next : { ...next, items: data.response.output.reduce(upsert, next.items) };
  }
  if ((type === 'response.output_item.added' || type === 'response.output_item.done') && data.item) return withOutputItem(view, data.item, data.output_index);
  const id = data.item_id;
  if (!id) return view;
  const at = data.content_index ?? 0;
  switch (type) {
    case 'response.content_part.added':
      return updateItem(view, id, (item) => changePart(item, at, () => data.part ?? {}));
    case 'response.output_text.delta':
      return updateItem(view, id, (item) => changePart(item, at, (p) => ({ ...p, text: `${(p.text as string | undefined) ?? ''}${data.delta ?? ''}` })));
    case 'response.output_text.annotation.added':
      return updateItem(view, id, (item) =>
        changePart(item, at, (p) => {
          const annotations = ((p.annotations as unknown[] | undefined) ?? []).slice();
          annotations[data.annotation_index ?? annotations.length] = data.annotation;
          return { ...p, annotations };
        }));
    case 'response.function_call_arguments.delta':
      return updateItem(view, id, (item) => ({ ...item, arguments: `${(item as FunctionCallItem).arguments ?? ''}${data.delta ?? ''}` }) as AnyItem);
    case 'response.function_call_arguments.done':
      return updateItem(view, id, (item) => ({ ...item, arguments: data.arguments ?? '' }) as AnyItem);
    case 'response.code_interpreter_call_code.delta':
      return updateItem(view, id, (item) => ({ ...item, code: `${(item as CodeInterpreterCallItem).code ?? ''}${data.delta ?? ''}` }) as AnyItem);
    case 'response.code_interpreter_call_code.done':
      return updateItem(view, id, (item) => ({ ...item, code: data.code ?? '' }) as AnyItem);
  }
  const progress = /^response\.\w+_call\.(\w+)$/.exec(type);
  if (progress) return updateItem(view, id, (item) => ({ ...item, status: progress[1] }) as AnyItem);
  return view;
}

/** The function calls still waiting for an output: calls with no `function_call_output` of the same `call_id`. */
export function pendingCalls(items: AnyItem[]): FunctionCallItem[] {
  const answered = new Set(items.flatMap((i) => (i.type === 'function_call_output' ? [(i as FunctionCallOutputItem).call_id] : [])));
  return items.filter((i): i is FunctionCallItem => i.type === 'function_call' && !answered.has((i as FunctionCallItem).call_id));
}

/** The output given for a call, if any. */
export function outputOf(items: AnyItem[], callId: string): FunctionCallOutputItem | undefined {
  return items.find((i): i is FunctionCallOutputItem => i.type === 'function_call_output' && (i as FunctionCallOutputItem).call_id === callId);
}

/** The text of the last message the person sent. */
export function lastUserText(items: AnyItem[]): string {
  const last = [...items].reverse().find((i): i is MessageItem => i.type === 'message' && (i as MessageItem).role === 'user');
  return last ? last.content.map((p) => (p.type === 'input_text' ? p.text : '')).join('') : '';
}
