// Each statement sent to Postgres costs both ends CPU of its own (the client builds and parses its messages and
// settles a promise; the server binds a portal, starts and ends an executor, answers). The writes a transaction
// holds back (postgres-pipelining.ts) are mostly INSERTs and UPDATEs of different tables whose answer nobody
// reads, so they can run as one statement: all but one become data-modifying CTEs of the last one
// (`with "w1" as (insert ...), "w2" as (update ...) insert ...`), which Postgres always runs to completion.
//
// The statements of one WITH query see the same snapshot and run in no set order, so only writes that cannot
// see each other are merged: no two statements of a merged one touch the same table (two INSERTs into one table
// are fine: neither reads it), no statement of it reads a table another one writes, and a statement whose reads
// cannot be told from its text (a subquery over an unquoted name, a recursive WITH) is left on its own. A failure
// of any part fails the whole, as it failed the transaction before.
// A held SELECT that locks nothing is a check (failing-cast.ts: it fails the transaction in some case): it joins
// as the last statement, since a SELECT in a CTE runs only if the statement reads it.

/** A statement's text and parameters, as sent, and the name it is prepared under if it has one. */
export interface Statement {
  text: string;
  values?: readonly unknown[];
  name?: string | undefined;
  /** A held read's caller, told the answer when it comes (postgres-pipelining.ts); such a read is never merged. */
  answer?: (err: Error | undefined, result: unknown) => void;
}

/** What a statement writes and reads, or undefined when it cannot be merged. */
interface Shape {
  writes: Set<string>;
  reads: Set<string>;
  /** Only INSERTs (into `writes`), none of them an upsert. */
  insertsOnly: boolean;
  /**
   * Comes last in a merged statement: a WITH query (`with ... as (...) <statement>`, its CTEs are continued) or a
   * check (a SELECT).
   */
  last: boolean;
}

const WRITE = /(insert into|update|delete from) "([^"]+)"/g;
const READ = / (?:from|join) "([^"]+)"/g;
/** A read whose table is not a quoted name (a function, a subquery, raw SQL): not merged. */
const UNKNOWN_READ = / (?:from|join) (?!")/;
/** A held SELECT with no subquery that locks no row: a check (see above). */
const CHECK = /^select (?!.*(?:select |\bfor (?:update|no key update|share|key share)\b))/s;
/** Postgres takes at most 65,535 parameters in a statement; merged ones stay far below, and short. */
const MAX_VALUES = 10_000;
const MAX_STATEMENTS = 16;

// What each text is, and the text (and prepared name) of each merge of texts, worked out once: the same few
// statements are held, and merged alike, on every run. Past the caps (ad-hoc texts, rare merges, e.g. of bulk
// writes) they are worked out each time, and merges go unnamed, so neither map nor the names a backend
// prepares grow without bound.
const MAX_TEXTS = 1000;
const MAX_MERGES = 200;
const known = new Map<string, { id: number; shape: Shape | undefined }>();
const merges = new Map<string, Statement>();

function knownOf(text: string): { id: number; shape: Shape | undefined } {
  let entry = known.get(text);
  if (!entry) {
    entry = { id: known.size + 1, shape: shapeOf(text) };
    if (known.size < MAX_TEXTS) known.set(text, entry);
    else entry.id = 0;
  }
  return entry;
}

function shapeOf(text: string): Shape | undefined {
  // (Rows a held write returns are read by nobody, so RETURNING needs no care.)
  if (text.startsWith('with recursive') || UNKNOWN_READ.test(text)) return undefined;
  const withQuery = text.startsWith('with ');
  const check = CHECK.test(text);
  if (!withQuery && !check && !/^(insert into|update|delete from) "/.test(text)) return undefined;
  // A plain write with a subquery (`in (select ...)`) reads through it; where is not worth working out.
  if (!withQuery && !check && text.includes('select ')) return undefined;
  const writes = new Set<string>();
  // An upsert updates rows too: two of one table in a statement could meet on a row, which Postgres refuses.
  let insertsOnly = !text.includes(' on conflict ');
  for (const [, verb, table] of text.matchAll(WRITE)) {
    writes.add(table!);
    if (verb !== 'insert into') insertsOnly = false;
  }
  const reads = new Set([...text.matchAll(READ)].map(([, table]) => table!));
  return writes.size > 0 || check ? { writes, reads, insertsOnly, last: withQuery || check } : undefined;
}

/** Whether `a` and `b` may run as one statement: neither reads what the other writes, or writes it too. */
function independent(a: Shape, b: Shape): boolean {
  for (const table of a.writes) {
    if (b.reads.has(table)) return false;
    if (b.writes.has(table) && !(a.insertsOnly && b.insertsOnly)) return false;
  }
  for (const table of b.writes) if (a.reads.has(table)) return false;
  return true;
}

/** `text` with its parameters `$n` numbered from `offset + 1` (outside string literals). */
function renumberedFrom(text: string, offset: number): string {
  if (offset === 0) return text;
  return text
    .split("'")
    .map((part, i) => (i % 2 === 1 ? part : part.replace(/\$(\d+)/g, (_, n: string) => `$${Number(n) + offset}`)))
    .join("'");
}

/** The text of `ordered` as one statement, and its name if it has one. */
function mergedText(ordered: Statement[]): Statement {
  let offset = 0;
  const texts = ordered.map(({ text, values }) => {
    const renumbered = renumberedFrom(text, offset);
    offset += values?.length ?? 0;
    return renumbered;
  });
  const last = texts.pop()!;
  const ctes = texts.map((text, i) => `"assistd_w${i + 1}" as (${text})`).join(', ');
  return { text: last.startsWith('with ') ? `with ${ctes}, ${last.slice(5)}` : `with ${ctes} ${last}` };
}

/** One statement doing what `group` (independent writes, at most one WITH query or check) does. */
function joined(group: Array<{ statement: Statement; shape: Shape; id: number }>): Statement {
  if (group.length === 1) return group[0]!.statement;
  // The WITH query or check, if any, comes last: a WITH query's CTEs continue the list.
  const ordered = [...group.filter((g) => !g.shape.last), ...group.filter((g) => g.shape.last)];
  const values: unknown[] = [];
  for (const { statement } of ordered) if (statement.values) for (const value of statement.values) values.push(value);
  const key = ordered.some((g) => g.id === 0) ? undefined : ordered.map((g) => g.id).join(',');
  let merged = key === undefined ? undefined : merges.get(key);
  if (!merged) {
    merged = mergedText(ordered.map((g) => g.statement));
    if (key !== undefined && merges.size < MAX_MERGES) merges.set(key, (merged = { ...merged, name: `assistd_merged_${merges.size + 1}` }));
  }
  return { ...merged, values };
}

/**
 * `statements` (held writes of one transaction, in order) as fewer statements with the same effect: runs of
 * consecutive independent writes merged into one each. Statements that cannot be merged are returned as they are.
 */
export function mergedWrites(statements: Statement[]): Statement[] {
  const out: Statement[] = [];
  let group: Array<{ statement: Statement; shape: Shape; id: number }> = [];
  let count = 0;
  const close = () => {
    if (group.length > 0) out.push(joined(group));
    group = [];
    count = 0;
  };
  for (const statement of statements) {
    const { id, shape } = statement.answer ? { id: 0, shape: undefined } : knownOf(statement.text);
    const size = statement.values?.length ?? 0;
    if (!shape) {
      close();
      out.push(statement);
      continue;
    }
    const fits = group.length < MAX_STATEMENTS && count + size <= MAX_VALUES && !(shape.last && group.some((g) => g.shape.last)) && group.every((g) => independent(g.shape, shape));
    if (!fits) close();
    group.push({ statement, shape, id });
    count += size;
  }
  close();
  return out;
}
