// A conditional write whose answer waits for the commit (DocumentRepo.replaceIfAtCommit) cannot return false: on
// Postgres it fails the transaction instead, through a failing cast (failing-cast.ts) in a CASE branch over
// count(*), which Postgres cannot fold ahead of time, taken exactly when it changed no row.
import { failedCast, failingCast } from './failing-cast.js';

const MARK = 'assistd_stale_write_';

/** The select over the CTE `changed` (the conditional UPDATE ... RETURNING) that fails when it changed nothing. */
export const STALE_CHECK = `case when count(*) = 0 then ${failingCast(MARK, 'count(*)')} end`;

/** Whether `err` is the failure of a write that found the row changed (or gone) since the caller's copy. */
export function isStaleWrite(err: unknown): boolean {
  return failedCast(err, MARK) !== undefined;
}
