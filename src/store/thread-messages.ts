import { sql, type Kysely } from 'kysely';
import type { Message } from '../domain/types.js';
import { runCompiled } from './compiled-statements.js';

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
  /** Up to `limit` messages of the thread, newest (`desc`) or oldest (`asc`) first. */
  page(project: string, threadId: string, query: ThreadPageQuery): Promise<CountedMessage[]>;
  /** Stores the counts of messages not written since they were read (a count is only kept where none is). */
  recordTokens(project: string, counts: Array<{ id: string; tokens: number }>): Promise<void>;
}

/**
 * Counts per UPDATE: one statement sets many rows (two parameters each, well under every dialect's limit), so the
 * counts of a long thread's window land in a few writes, before its next run.
 */
const RECORD_BATCH = 1000;

interface PageRow {
  id: string;
  created_at: number | string;
  role: 'user' | 'assistant' | null;
  prompt_text: string | null;
  data: string | null;
  o200k_tokens: number | string | null;
}

function counted(r: PageRow): CountedMessage {
  const message = r.data === null ? null : (JSON.parse(r.data) as Message);
  return {
    id: r.id,
    created_at: Number(r.created_at),
    role: r.role ?? message!.role,
    text: r.prompt_text,
    message,
    tokens: r.o200k_tokens === null ? null : Number(r.o200k_tokens),
  };
}

export function createThreadMessages(db: Kysely<any>): ThreadMessages {
  const record = (project: string, batch: Array<{ id: string; tokens: number }>) => {
    const value = sql`case id ${sql.join(batch.map((c) => sql`when ${c.id} then ${sql.lit(Math.trunc(c.tokens))}`), sql` `)} end`;
    return db.updateTable('messages').set({ o200k_tokens: value }).where('project', '=', project).where('id', 'in', batch.map((c) => c.id)).where('o200k_tokens', 'is', null).execute();
  };
  return {
    async page(project, threadId, { order, limit, from, exceptRun }) {
      const past = order === 'desc' ? '<' : '>';
      const build = () => {
        // The message itself only where its prompt text does not say it all (images, attachments, old rows).
        let query = db
          .selectFrom('messages')
          .select(['id', 'created_at', 'role', 'prompt_text', 'o200k_tokens', sql<string | null>`case when prompt_text is null then data end`.as('data')])
          .where('thread_id', '=', threadId)
          .where('project', '=', project);
        if (from) query = query.where((eb) => eb.or([eb('created_at', past, from.created_at), eb.and([eb('created_at', '=', from.created_at), eb('id', past, from.id)])]));
        if (exceptRun !== undefined) query = query.where((eb) => eb.or([eb('run_id', 'is', null), eb('run_id', '<>', exceptRun)]));
        // The limit is a literal on every dialect, so the statement's parameters are the same everywhere.
        return query.orderBy('created_at', order).orderBy('id', order).modifyEnd(sql`limit ${sql.lit(Math.trunc(limit))}`);
      };
      const key = `messages:thread-page:${order}:${Math.trunc(limit)}${from ? ':from' : ''}${exceptRun !== undefined ? ':except' : ''}`;
      const parameters = [threadId, project, ...(from ? [from.created_at, from.created_at, from.id] : []), ...(exceptRun !== undefined ? [exceptRun] : [])];
      const { rows } = await runCompiled<PageRow>(db, key, build, parameters);
      return rows.map(counted);
    },
    async recordTokens(project, counts) {
      for (let i = 0; i < counts.length; i += RECORD_BATCH) await record(project, counts.slice(i, i + RECORD_BATCH));
    },
  };
}
