import { CompiledQuery, type Compilable, type DialectAdapter, type Kysely, type QueryResult } from 'kysely';
import { markUnread } from './unread-results.js';

// Keyed by the dialect's adapter, which a Kysely handle shares with its transactions, so the texts compiled
// outside a transaction serve inside it too.
const textsByDialect = new WeakMap<DialectAdapter, Map<string, string>>();

/**
 * A driver that runs a compiled statement itself, without Kysely's executor: its connection provider, plugin
 * and promise layers cost several times what a small indexed statement costs. `db`: the handle the statement was
 * run on (a transaction's, or the root); undefined: the driver cannot tell its connection, Kysely runs it.
 * `unread`: the caller reads nothing of the answer (see unread-results.ts). `atCommit`: inside a transaction, the
 * caller waits for the answer only once the transaction has committed (see runCompiled).
 */
export interface DirectExecution {
  execute(db: Kysely<any>, sql: string, parameters: readonly unknown[], unread: boolean, atCommit?: boolean): Promise<QueryResult<any>> | undefined;
}

const directByDialect = new WeakMap<DialectAdapter, DirectExecution>();

/** Lets `runCompiled` hand the statements of handles on `adapter`'s dialect straight to its driver. */
export function registerDirectExecution(adapter: DialectAdapter, direct: DirectExecution): void {
  directByDialect.set(adapter, direct);
}

/**
 * Runs a statement by shape. Building and compiling a Kysely query costs more than running a small indexed
 * statement on SQLite, and a statement's SQL depends only on its shape (which columns, which filters), so
 * `build` compiles it the first time a `key` is seen and later calls reuse its SQL text with fresh parameters.
 * The first compile checks that `parameters` list the values in the order the SQL binds them, so a key that
 * does not capture the whole shape fails loudly instead of binding wrongly. `unread`: the caller reads nothing of
 * the answer (see unread-results.ts). `atCommit`: a read inside a transaction whose answer the caller waits for
 * only after the commit; a driver that pipelines (Postgres) sends it with the commit, others run it at once.
 */
export async function runCompiled<R>(db: Kysely<any>, key: string, build: () => Compilable, parameters: unknown[], options: { unread?: boolean; atCommit?: boolean } = {}): Promise<QueryResult<R>> {
  const adapter = db.getExecutor().adapter;
  let texts = textsByDialect.get(adapter);
  if (!texts) textsByDialect.set(adapter, (texts = new Map()));
  let text = texts.get(key);
  if (text === undefined) {
    const compiled = build().compile();
    const same = compiled.parameters.length === parameters.length && compiled.parameters.every((p, i) => p === parameters[i]);
    if (!same) throw new Error(`statement '${key}': parameters do not match the compiled SQL`);
    text = compiled.sql;
    texts.set(key, text);
  }
  const direct = directByDialect.get(adapter)?.execute(db, text, parameters, options.unread === true, options.atCommit === true);
  if (direct) return direct;
  const query = CompiledQuery.raw(text, parameters);
  return db.executeQuery(options.unread ? markUnread(query) : query);
}
