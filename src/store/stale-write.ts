// A conditional write whose answer waits for the commit (DocumentRepo.replaceIfAtCommit) cannot return false: on
// Postgres it fails the transaction instead, through a failing cast (failing-cast.ts: failWhenNone) taken exactly
// when it changed no row.
import { failedCast, failWhenNone } from './failing-cast.js';

const MARK = 'assistd_stale_write_';

/** The select over the CTE `changed` (the conditional UPDATE, returning `1 as "one"`) that fails when it changed nothing. */
export const STALE_CHECK = failWhenNone(MARK, '"one"');

/** Whether `err` is the failure of a write that found the row changed (or gone) since the caller's copy. */
export function isStaleWrite(err: unknown): boolean {
  return failedCast(err, MARK) !== undefined;
}
