/**
 * Reads the thread messages a model call could see, newest first and only as far back as truncation could
 * reach, so a long thread costs each model call what fits its context rather than the thread's whole length.
 * What the caller then selects from the window is exactly what it would select from the whole thread (see
 * truncation.ts): the tail is filled newest first and stops at the first message that does not fit, so nothing
 * older than that message is needed, except the `auto` strategy's anchor, the thread's first user message.
 */
import { promptText } from '../../domain/messages.js';
import type { Message, Run } from '../../domain/types.js';
import type { Store } from '../../store/store.js';
import type { CountedMessage, ThreadPosition } from '../../store/thread-messages.js';

/**
 * Messages in the first page read; further pages double up to MAX_PAGE, so a long thread takes few reads and
 * little is read past where the window stops.
 */
export const FIRST_PAGE = 100;
const MAX_PAGE = 800;
const nextPage = (size: number) => Math.min(size * 2, MAX_PAGE);

export interface ThreadWindowOptions<T> {
  /** Turns a stored message into what the prompt keeps of it (done only for messages read; async only when files are looked up). */
  convert(stored: CountedMessage): T | Promise<T>;
  /** Prompt tokens of a converted message; `stored` is the count stored with it (null when none). */
  cost(item: T, stored: CountedMessage): number;
  /** Tokens the thread may fill, given the newest message's cost (it always stays). */
  room(newestCost: number): number;
  /**
   * The thread's every message, when this process wrote them all just now (a thread created with its run): read
   * from here as the store would page them, which saves the model call a round trip to the database.
   */
  known?: Message[];
  /** The first page this would read (newest first, FIRST_PAGE long), when the run's create read it already. */
  firstPage?: CountedMessage[];
}

type PageReader = (order: 'asc' | 'desc', limit: number, from?: ThreadPosition) => Promise<CountedMessage[]>;

/** A message as the store's thread pages give it (prompt text, or the message where that does not say it all). */
function counted(message: Message): CountedMessage {
  const text = promptText(message);
  return { id: message.id, created_at: message.created_at, role: message.role, text, message: text === null ? message : null, tokens: null };
}

/**
 * Pages of the thread: from the store (its first page from `firstPage` if given), or from `known` in the store's
 * order ((created_at, id), as it sorts them).
 */
function pageReader(store: Store, project: string, run: Run, known?: Message[], firstPage?: CountedMessage[]): PageReader {
  if (!known) {
    let first = firstPage;
    return async (order, limit, from) => {
      const given = first;
      first = undefined;
      if (given && order === 'desc' && limit === FIRST_PAGE && from === undefined) return given;
      return store.threadMessages.page(project, run.thread_id, { order, limit, from, exceptRun: run.id });
    };
  }
  const compare = (a: ThreadPosition, b: ThreadPosition) => a.created_at - b.created_at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  const all = known.filter((m) => m.run_id !== run.id).map(counted).sort(compare);
  return async (order, limit, from) => {
    const sign = order === 'asc' ? 1 : -1;
    const ordered = order === 'asc' ? all : [...all].reverse();
    return ordered.filter((m) => from === undefined || sign * compare(m, from) > 0).slice(0, limit);
  };
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
  // Newest first while reading, as parallel arrays: a long window makes one entry of each per message.
  const items: T[] = [];
  const costs: number[] = [];
  const ids: string[] = [];
  let room: number | undefined;
  let filled = 0;
  let complete = false;
  let from: ThreadPosition | undefined;
  let size = FIRST_PAGE;
  const read = pageReader(store, project, run, options.known, options.firstPage);
  reading: for (;;) {
    const page = await read('desc', size, from);
    for (const stored of page) {
      const converted = options.convert(stored);
      const item = converted instanceof Promise ? await converted : converted;
      const cost = options.cost(item, stored);
      items.push(item);
      costs.push(cost);
      ids.push(stored.id);
      if (room === undefined) room = options.room(cost);
      filled += cost;
      // `last_messages` keeps its anchor inside the last N, so the N are read in full; `auto` stops one message
      // past the room (that one is where the tail stops).
      if (lastMessages != null ? items.length >= lastMessages : filled > room) break reading;
    }
    if (page.length < size) {
      complete = true;
      break;
    }
    from = page[page.length - 1]!;
    size = nextPage(size);
  }
  const window: ThreadWindow<T> = { items: items.reverse(), costs: costs.reverse() };
  if (complete || lastMessages != null || items.length === 0) return window;
  const anchor = await firstUserMessage(read, options);
  if (!anchor || ids.includes(anchor.stored.id)) return window;
  return { items: [anchor.item, ...window.items], costs: [options.cost(anchor.item, anchor.stored), ...window.costs] };
}

/** The thread's oldest user message (not the run's own), read oldest first; usually the first message. */
async function firstUserMessage<T>(read: PageReader, options: ThreadWindowOptions<T>): Promise<{ stored: CountedMessage; item: T } | undefined> {
  let from: ThreadPosition | undefined;
  let size = FIRST_PAGE;
  for (;;) {
    const page = await read('asc', size, from);
    const found = page.find((m) => m.role === 'user');
    if (found) return { stored: found, item: await options.convert(found) };
    if (page.length < size) return undefined;
    from = page[page.length - 1]!;
    size = nextPage(size);
  }
}
