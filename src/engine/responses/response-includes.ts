import type { ResponseItem, ResponseObject } from '../../domain/responses.js';
import type { ResponseEventBody } from './response-output.js';

/**
 * A file_search call's results and a code_interpreter call's outputs are always stored (a later model call of
 * the chain or conversation is shown them), and shown to a client only when it asks with `include`, as hosted.
 * These views are applied where items leave the server; they copy, never change the stored objects.
 */
export const FILE_SEARCH_RESULTS = 'file_search_call.results';
export const CODE_OUTPUTS = 'code_interpreter_call.outputs';

/** An item as a client with these includes sees it. */
export function itemView<T extends ResponseItem>(item: T, include: readonly string[]): T {
  if (item.type === 'file_search_call' && item.results && !include.includes(FILE_SEARCH_RESULTS)) return { ...item, results: null };
  if (item.type === 'code_interpreter_call' && item.outputs && !include.includes(CODE_OUTPUTS)) return { ...item, outputs: null };
  return item;
}

export function itemsView<T extends ResponseItem>(items: T[], include: readonly string[]): T[] {
  return items.map((item) => itemView(item, include));
}

export function responseView(response: ResponseObject, include: readonly string[]): ResponseObject {
  return { ...response, output: itemsView(response.output, include) };
}

/** A stream event as a client with these includes sees it (the item of item events, the response of the others). */
export function eventView(event: ResponseEventBody, include: readonly string[]): ResponseEventBody {
  const e = event as ResponseEventBody & { item?: ResponseItem; response?: ResponseObject };
  if (e.item) return { ...event, item: itemView(e.item, include) };
  if (e.response?.output) return { ...event, response: responseView(e.response, include) };
  return event;
}
