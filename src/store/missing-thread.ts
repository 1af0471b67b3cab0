import { sql, type Kysely, type SelectQueryBuilder } from 'kysely';
import { failedCast, failWhenNone } from './failing-cast.js';

// A run created on an existing thread takes the thread's lock in its create transaction. On Postgres that lock can
// also tell whether the thread is there (failing-cast.ts), which spares the create a read of the thread before it:
// one round trip fewer. SQLite reads it instead, in the transaction (its reads cost no round trip).

const MARK = 'assistd_missing_thread_';

/** `locking` (a SELECT ... FOR UPDATE / FOR SHARE of the thread's row) wrapped to fail when it finds no row. */
export function lockedOrFail(db: Kysely<any>, locking: SelectQueryBuilder<any, any, any>) {
  return db.selectFrom(locking.as('locked')).select(sql.raw<number>(failWhenNone(MARK, '"id"')).as('missing'));
}

/** The error lockThread fails with on SQLite when the thread is not there (Postgres fails with the cast's). */
export function missingThread(): Error {
  return new Error(`${MARK}0: the thread is not there`);
}

/** Whether `err` says the thread to lock is not there. */
export function isMissingThread(err: unknown): boolean {
  if (err instanceof Error && err.message.startsWith(MARK)) return true;
  return failedCast(err, MARK) !== undefined;
}
