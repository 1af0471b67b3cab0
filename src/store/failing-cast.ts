// Postgres: a statement that must fail the transaction in some case, and say why. SQL has no RAISE outside
// PL/pgSQL, so the statement casts a marked text to an integer in that case; the cast's error (22P02) carries the
// text, mark and value, and `failedCast` reads the value back. Used by the stale-write check (stale-write.ts), the
// active-run check of a thread (run-queue.ts) and the version check of an assistant (assistants-repo.ts), all sent
// held, with no answer to look at.

/** SQL that fails naming `mark` followed by the value of `valueSql` (marks are fixed identifiers, never input). */
export const failingCast = (mark: string, valueSql: string): string => `('${mark}' || ${valueSql})::integer`;

/**
 * A select expression that fails naming `mark` when the rows it aggregates are none: a CASE over the count of
 * `column`, which Postgres cannot fold at plan time. A column, not `*`: the driver prepares no text with `*`
 * (postgres-pipelining.ts).
 */
export const failWhenNone = (mark: string, column: string): string => `case when count(${column}) = 0 then ${failingCast(mark, `count(${column})`)} end`;

/** The value a failing cast with `mark` named, when `err` is its failure. */
export function failedCast(err: unknown, mark: string): string | undefined {
  if (!(err instanceof Error) || (err as { code?: unknown }).code !== '22P02') return undefined;
  const at = err.message.indexOf(mark);
  if (at < 0) return undefined;
  return /^[A-Za-z0-9_]*/.exec(err.message.slice(at + mark.length))![0];
}
