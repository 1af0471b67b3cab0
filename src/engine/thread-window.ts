/**
 * Reads the thread messages a model call could see, newest first and only as far back as truncation could
 * reach, so a long thread costs each model call what fits its context rather than the thread's whole length.
 * What the caller then selects from the window is exactly what it would select from the whole thread (see
 * truncation.ts): the tail is filled newest first and stops at the first message that does not fit, so nothing
 * older than that message is needed, except the `auto` strategy's anchor, the thread's first user message.
 */
import type { Message, Run } from '../domain/types.js';
import type { Store } from '../store/store.js';

/** Messages per page read. */
const PAGE = 100;

export interface ThreadWindowOptions<T> {
  /** Turns a stored message into what the prompt keeps of it (done only for messages read). */
  convert(message: Message): Promise<T>;
  /** Prompt tokens of a converted message. */
  cost(item: T): number;
  /** Tokens the thread may fill, given the newest message's cost (it always stays). */
  room(newestCost: number): number;
}

export interface ThreadWindow<T> {
  /** Oldest first: the anchor (when it lies before the rest), then the newest messages. */
  items: T[];
  /** Prompt tokens of each item. */
  costs: number[];
}

/** The thread's messages from before the run (its own messages are its steps' business), read as far as needed. */
export async function readThreadWindow<T>(store: Store, project: string, run: Run, options: ThreadWindowOptions<T>): Promise<ThreadWindow<T>> {
  const lastMessages = run.truncation_strategy.type === 'last_messages' ? run.truncation_strategy.last_messages : null;
  const newest: Array<{ item: T; cost: number; id: string }> = [];
  let room: number | undefined;
  let filled = 0;
  let complete = false;
  let before: string | undefined;
  reading: for (;;) {
    const page = await store.messages.list(project, { limit: PAGE, order: 'desc', ...(before ? { after: before } : {}) }, { thread_id: run.thread_id });
    for (const message of page.data) {
      if (message.run_id === run.id) continue;
      const item = await options.convert(message);
      const cost = options.cost(item);
      newest.push({ item, cost, id: message.id });
      if (room === undefined) room = options.room(cost);
      filled += cost;
      // `last_messages` keeps its anchor inside the last N, so the N are read in full; `auto` stops one message
      // past the room (that one is where the tail stops).
      if (lastMessages != null ? newest.length >= lastMessages : filled > room) break reading;
    }
    if (!page.has_more || page.data.length === 0) {
      complete = true;
      break;
    }
    before = page.data[page.data.length - 1]!.id;
  }
  newest.reverse();
  const window: ThreadWindow<T> = { items: newest.map((n) => n.item), costs: newest.map((n) => n.cost) };
  if (complete || lastMessages != null || newest.length === 0) return window;
  const anchor = await firstUserMessage(store, project, run, options);
  if (!anchor || newest.some((n) => n.id === anchor.id)) return window;
  return { items: [anchor.item, ...window.items], costs: [options.cost(anchor.item), ...window.costs] };
}

/** The thread's oldest user message (not the run's own), read oldest first; usually the first message. */
async function firstUserMessage<T>(store: Store, project: string, run: Run, options: ThreadWindowOptions<T>): Promise<{ id: string; item: T } | undefined> {
  let after: string | undefined;
  for (;;) {
    const page = await store.messages.list(project, { limit: PAGE, order: 'asc', ...(after ? { after } : {}) }, { thread_id: run.thread_id });
    const found = page.data.find((m) => m.role === 'user' && m.run_id !== run.id);
    if (found) return { id: found.id, item: await options.convert(found) };
    if (!page.has_more || page.data.length === 0) return undefined;
    after = page.data[page.data.length - 1]!.id;
  }
}
