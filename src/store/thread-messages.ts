import { sql, type Kysely } from 'kysely';
import type { Message } from '../domain/types.js';
import { runCompiled } from './compiled-statements.js';
import type { StoreCapabilities } from './store.js';

/** Where a message sits in its thread's order; pages continue from the last one they returned. */
export interface ThreadPosition {
  created_at: number;
  id: string;
}

/**
 * A thread message as prompts read it: its prompt text when that is all a prompt needs (the message itself is
 * then not read), with its stored prompt token count, null until counted. It is its own position.
 */
export interface CountedMessage extends ThreadPosition {
  role: 'user' | 'assistant';
  /** What a prompt sends for the message when its text alone decides it (domain `promptText`); else null. */
  text: string | null;
  /** The whole message, read only when `text` is null. */
  message: Message | null;
  /** Prompt tokens (o200k_base), counted by the engine after the message's last write; a write clears it. */
  tokens: number | null;
}

/** One page of a thread's messages: in which order, how many, from where, and whose messages to leave out. */
export interface ThreadPageQuery {
  order: 'asc' | 'desc';
  limit: number;
  /** Continue past this position (the last message of the previous page). */
  from?: ThreadPosition;
  /** Leave out the messages this run wrote (a run's prompt replays its own messages from its steps). */
  exceptRun?: string;
}

/**
 * A thread's messages for prompt building: pages in either order that continue from a position without a cursor
 * lookup, and the prompt token counts the engine stores so that a long thread is not re-tokenized on every run.
 */
export interface ThreadMessages {
  /**
   * Up to `limit` messages of the thread, newest (`desc`) or oldest (`asc`) first. `atCommit`: read inside a
   * transaction that writes, and waited for only after it commits (see runCompiled).
   */
  page(project: string, threadId: string, query: ThreadPageQuery, atCommit?: boolean): Promise<CountedMessage[]>;
  /** Stores the counts of messages not written since they were read (a count is only kept where none is). */
  recordTokens(project: string, counts: Array<{ id: string; tokens: number }>): Promise<void>;
}

/**
 * Counts per UPDATE: one statement sets many rows (two parameters each, well under every dialect's limit), so the
 * counts of a long thread's window land in a few writes, before its next run.
 */
const RECORD_BATCH = 1000;

/** A page's messages as one JSON array, so the driver builds one value instead of an object per row. */
type PageEntry = [id: string, created_at: number, role: 'user' | 'assistant' | null, tokens: number | null, text: string | null, data: string | null];

function counted([id, created_at, role, tokens, text, data]: PageEntry): CountedMessage {
  const message = data === null ? null : (JSON.parse(data) as Message);
  return { id, created_at, role: role ?? message!.role, text, message, tokens };
}

/** The databases feed the aggregate in the page's order; checked, since neither promises it. */
function inOrder(entries: PageEntry[], order: 'asc' | 'desc'): PageEntry[] {
  const sign = order === 'asc' ? 1 : -1;
  const compare = (a: PageEntry, b: PageEntry) => sign * (a[1] - b[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  for (let i = 1; i < entries.length; i++) if (compare(entries[i - 1]!, entries[i]!) > 0) return entries.sort(compare);
  return entries;
}

export function createThreadMessages(db: Kysely<any>, dialect: StoreCapabilities['dialect']): ThreadMessages {
  const record = (project: string, batch: Array<{ id: string; tokens: number }>) => {
    const value = sql`case id ${sql.join(batch.map((c) => sql`when ${c.id} then ${sql.lit(Math.trunc(c.tokens))}`), sql` `)} end`;
    return db.updateTable('messages').set({ o200k_tokens: value }).where('project', '=', project).where('id', 'in', batch.map((c) => c.id)).where('o200k_tokens', 'is', null).execute();
  };
  // Postgres hands back the array parsed, SQLite as text.
  const entries =
    dialect === 'postgres'
      ? sql<string | PageEntry[]>`coalesce(json_agg(json_build_array(id, created_at, role, o200k_tokens, prompt_text, data)), '[]'::json)`
      : sql<string | PageEntry[]>`json_group_array(json_array(id, created_at, role, o200k_tokens, prompt_text, data))`;
  return {
    async page(project, threadId, { order, limit, from, exceptRun }, atCommit = false) {
      const past = order === 'desc' ? '<' : '>';
      const build = () => {
        // The message itself only where its prompt text does not say it all (images, attachments, old rows).
        let query = db
          .selectFrom('messages')
          .select(['id', 'created_at', 'role', 'prompt_text', 'o200k_tokens', sql<string | null>`case when prompt_text is null then data end`.as('data')])
          .where('thread_id', '=', threadId)
          .where('project', '=', project);
        if (from) query = query.where((eb) => eb(eb.refTuple('created_at', 'id'), past, eb.tuple(from.created_at, from.id)));
        if (exceptRun !== undefined) query = query.where((eb) => eb.or([eb('run_id', 'is', null), eb('run_id', '<>', exceptRun)]));
        // The limit is a literal on every dialect, so the statement's parameters are the same everywhere.
        const page = query.orderBy('created_at', order).orderBy('id', order).modifyEnd(sql`limit ${sql.lit(Math.trunc(limit))}`);
        return db.selectFrom(page.as('page')).select(entries.as('entries'));
      };
      const key = `messages:thread-page:${order}:${Math.trunc(limit)}${from ? ':from' : ''}${exceptRun !== undefined ? ':except' : ''}`;
      const parameters = [threadId, project, ...(from ? [from.created_at, from.id] : []), ...(exceptRun !== undefined ? [exceptRun] : [])];
      const { rows } = await runCompiled<{ entries: string | PageEntry[] }>(db, key, build, parameters, { atCommit });
      const page = rows[0]!.entries;
      return inOrder(typeof page === 'string' ? (JSON.parse(page) as PageEntry[]) : page, order).map(counted);
    },
    async recordTokens(project, counts) {
      for (let i = 0; i < counts.length; i += RECORD_BATCH) await record(project, counts.slice(i, i + RECORD_BATCH));
    },
  };
}
