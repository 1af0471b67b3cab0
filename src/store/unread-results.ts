import type { CompiledQuery } from 'kysely';

// A statement whose caller reads nothing of its answer, not even a row count (an UPDATE that overwrites a row
// the transaction already knows exists). The Postgres driver holds such statements back and sends them with the
// transaction's next statement that needs an answer, as it does plain INSERTs; SQLite runs them as usual.
const unread = new WeakSet<CompiledQuery>();

/** Marks `query` as one whose answer nobody reads; returns it. */
export function markUnread<Q extends CompiledQuery>(query: Q): Q {
  unread.add(query);
  return query;
}

export function isUnread(query: CompiledQuery): boolean {
  return unread.has(query);
}
