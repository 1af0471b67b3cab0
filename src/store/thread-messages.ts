import { sql, type Kysely } from 'kysely';
import type { Message } from '../domain/types.js';
import { runCompiled } from './compiled-statements.js';

/** Where a message sits in its thread's order; pages continue from the last one they returned. */
export interface ThreadPosition {
  created_at: number;
  id: string;
}

/** A thread message as prompts read it: with its stored prompt token count, null until counted. */
export interface CountedMessage {
  message: Message;
  /** Prompt tokens (o200k_base), counted by the engine after the message's last write; a write clears it. */
  tokens: number | null;
  position: ThreadPosition;
}

/**
 * A thread's messages for prompt building: pages in either order that continue from a position without a cursor
 * lookup, and the prompt token counts the engine stores so that a long thread is not re-tokenized on every run.
 */
export interface ThreadMessages {
  /** Up to `limit` messages of the thread, newest (`desc`) or oldest (`asc`) first, past `from` when given. */
  page(project: string, threadId: string, order: 'asc' | 'desc', limit: number, from?: ThreadPosition): Promise<CountedMessage[]>;
  /** Stores the counts of messages not written since they were read (a count is only kept where none is). */
  recordTokens(project: string, counts: Array<{ id: string; tokens: number }>): Promise<void>;
}

/** Counts per UPDATE: one statement sets many rows, well under every dialect's parameter limit. */
const RECORD_BATCH = 200;

export function createThreadMessages(db: Kysely<any>): ThreadMessages {
  return {
    async page(project, threadId, order, limit, from) {
      const past = order === 'desc' ? '<' : '>';
      const build = () => {
        const query = db
          .selectFrom('messages')
          .select(['id', 'created_at', 'data', 'o200k_tokens'])
          .where('thread_id', '=', threadId)
          .where('project', '=', project);
        const after = from ? query.where((eb) => eb.or([eb('created_at', past, from.created_at), eb.and([eb('created_at', '=', from.created_at), eb('id', past, from.id)])])) : query;
        // The limit is a literal on every dialect, so the statement's parameters are the same everywhere.
        return after.orderBy('created_at', order).orderBy('id', order).modifyEnd(sql`limit ${sql.lit(Math.trunc(limit))}`);
      };
      const key = `messages:thread-page:${order}:${Math.trunc(limit)}${from ? ':from' : ''}`;
      const { rows } = await runCompiled<any>(db, key, build, from ? [threadId, project, from.created_at, from.created_at, from.id] : [threadId, project]);
      return rows.map((r) => ({
        message: JSON.parse(r.data) as Message,
        tokens: r.o200k_tokens === null ? null : Number(r.o200k_tokens),
        position: { created_at: Number(r.created_at), id: r.id as string },
      }));
    },
    async recordTokens(project, counts) {
      for (let i = 0; i < counts.length; i += RECORD_BATCH) {
        const batch = counts.slice(i, i + RECORD_BATCH);
        const value = sql`case id ${sql.join(batch.map((c) => sql`when ${c.id} then ${sql.lit(Math.trunc(c.tokens))}`), sql` `)} end`;
        await db
          .updateTable('messages')
          .set({ o200k_tokens: value })
          .where('project', '=', project)
          .where('id', 'in', batch.map((c) => c.id))
          .where('o200k_tokens', 'is', null)
          .execute();
      }
    },
  };
}
