// A conditional write whose answer waits for the commit (DocumentRepo.replaceIfAtCommit) cannot return false: on
// Postgres it fails the transaction instead. SQL has no RAISE outside PL/pgSQL, so the statement casts a marked
// text to an integer exactly when it changed no row (a CASE branch over count(*), which Postgres cannot fold
// ahead of time); the cast's error names the mark, and this recognizes it.
const MARK = 'assistd_stale_write_';

/** The select over the CTE `changed` (the conditional UPDATE ... RETURNING) that fails when it changed nothing. */
export const STALE_CHECK = `case when count(*) = 0 then ('${MARK}' || count(*))::integer end`;

/** Whether `err` is the failure of a write that found the row changed (or gone) since the caller's copy. */
export function isStaleWrite(err: unknown): boolean {
  return err instanceof Error && (err as { code?: unknown }).code === '22P02' && err.message.includes(MARK);
}
