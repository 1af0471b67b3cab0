import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

/**
 * Which replica holds a thread's code-interpreter session. The owner renews `until` while the session lives;
 * a lapsed row means the owner is gone (or let the session go), and any replica may start a fresh one.
 */
export interface ThreadSessionsRepo {
  /** Makes `owner` the holder until `until`; returns the previous holder, if there was one (lapsed or not). */
  take(threadId: string, owner: string, until: number): Promise<string | undefined>;
  /** Extends `owner`'s rows for `threadIds`. */
  renew(owner: string, threadIds: string[], until: number): Promise<void>;
  /** Threads whose session another replica than `owner` holds at `now`. */
  heldByOthers(owner: string, now: number): Promise<string[]>;
  /** Drops rows that lapsed before `before`, whoever held them (replicas that died). */
  prune(before: number): Promise<void>;
  /** Gives up `owner`'s rows for `threadIds`, or all of them. */
  release(owner: string, threadIds?: string[]): Promise<void>;
}

export function createThreadSessionsRepo(db: Kysely<Database>): ThreadSessionsRepo {
  return {
    async take(threadId, owner, until) {
      const previous = await db.selectFrom('thread_sessions').select('owner').where('thread_id', '=', threadId).executeTakeFirst();
      await db
        .insertInto('thread_sessions')
        .values({ thread_id: threadId, owner, until })
        .onConflict((oc) => oc.column('thread_id').doUpdateSet({ owner, until }))
        .execute();
      return previous?.owner;
    },
    async renew(owner, threadIds, until) {
      if (threadIds.length === 0) return;
      await db.updateTable('thread_sessions').set({ until }).where('owner', '=', owner).where('thread_id', 'in', threadIds).execute();
    },
    async heldByOthers(owner, now) {
      const rows = await db.selectFrom('thread_sessions').select('thread_id').where('owner', '<>', owner).where('until', '>=', now).execute();
      return rows.map((r) => r.thread_id);
    },
    async prune(before) {
      await db.deleteFrom('thread_sessions').where('until', '<', before).execute();
    },
    async release(owner, threadIds) {
      if (threadIds?.length === 0) return;
      let query = db.deleteFrom('thread_sessions').where('owner', '=', owner);
      if (threadIds) query = query.where('thread_id', 'in', threadIds);
      await query.execute();
    },
  };
}
