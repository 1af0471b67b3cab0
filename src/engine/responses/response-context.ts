import { BadRequestError, NotFoundError } from '../../domain/errors.js';
import type { ItemReference, ResponseItem } from '../../domain/responses.js';
import { readAll } from '../../store/read-all.js';
import type { Store } from '../../store/store.js';

/**
 * The items a chain of responses holds, oldest first: each response's input items then its output items, so
 * function calls and their outputs replay in the order they happened.
 */
export async function chainItems(store: Store, project: string, previousResponseId: string): Promise<ResponseItem[]> {
  const links: ResponseItem[][] = [];
  let id: string | null = previousResponseId;
  while (id) {
    const response = await store.responses.get(project, id);
    const input = response && (await store.responses.input(project, id));
    if (!response || !input) {
      if (id === previousResponseId) throw new NotFoundError(`Previous response with id '${id}' not found.`, 'previous_response_id');
      // An earlier link was deleted: the chain starts after it.
      break;
    }
    links.push([...input, ...response.output]);
    id = response.previous_response_id;
  }
  return links.reverse().flat();
}

/** Every item of a conversation, oldest first. */
export async function conversationItems(store: Store, project: string, conversationId: string): Promise<ResponseItem[]> {
  if (!(await store.conversations.get(project, conversationId))) throw new NotFoundError(`Conversation with id '${conversationId}' not found.`, 'conversation');
  return readAll((after) => store.conversationItems.list(project, conversationId, { limit: 100, order: 'asc', after }));
}

/** Refuses a function_call_output whose call is nowhere before it, as chat models would (with a vaguer error). */
export function checkCallOutputs(context: ResponseItem[], input: ResponseItem[]): void {
  const calls = new Set(context.flatMap((item) => (item.type === 'function_call' ? [item.call_id] : [])));
  input.forEach((item, index) => {
    if (item.type === 'function_call') calls.add(item.call_id);
    if (item.type === 'function_call_output' && !calls.has(item.call_id)) {
      throw new BadRequestError(`No tool call found for function call output with call_id ${item.call_id}.`, `input[${index}]`);
    }
  });
}

/**
 * `truncation: auto`: the context without its oldest items, `drop` of them, and without function call outputs
 * whose call went with them (a chat model refuses an answer to a call it never saw).
 */
export function dropOldest(context: ResponseItem[], drop: number): ResponseItem[] {
  const kept = context.slice(drop);
  const calls = new Set(kept.flatMap((item) => (item.type === 'function_call' ? [item.call_id] : [])));
  return kept.filter((item) => item.type !== 'function_call_output' || calls.has(item.call_id));
}

/** The input with each item_reference replaced by the item it names, which must be in the context. */
export function resolveReferences(context: ResponseItem[], input: Array<ResponseItem | ItemReference>): ResponseItem[] {
  if (!input.some((item) => item.type === 'item_reference')) return input as ResponseItem[];
  const byId = new Map(context.map((item) => [item.id, item]));
  return input.map((item, index) => {
    if (item.type !== 'item_reference') return item;
    const found = byId.get(item.id);
    if (!found) throw new BadRequestError(`Item with id '${item.id}' not found in the conversation or the chain of previous_response_id.`, `input[${index}]`);
    return found;
  });
}

/**
 * The input with each file_search or code_interpreter call given by value replaced by the stored item of that id
 * (from the context, else any stored response): the stored one keeps the results and outputs a client sees only
 * with `include`, and clients send calls back without them (the Agents SDK as empty lists).
 */
export async function storedCallItems(store: Store, project: string, context: ResponseItem[], input: ResponseItem[]): Promise<ResponseItem[]> {
  if (!input.some(isHostedCall)) return input;
  const byId = new Map(context.filter(isHostedCall).map((item) => [item.id, item]));
  return Promise.all(
    input.map(async (item) => {
      if (!isHostedCall(item)) return item;
      const stored = byId.get(item.id) ?? (await store.responses.outputItem(project, item.id));
      return stored?.type === item.type ? stored : item;
    }),
  );
}

function isHostedCall(item: ResponseItem): boolean {
  return item.type === 'file_search_call' || item.type === 'code_interpreter_call';
}
