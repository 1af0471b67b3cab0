import { CompiledQuery, type Compilable, type DialectAdapter, type Kysely, type QueryResult } from 'kysely';

/** Runs a statement by shape: `build` makes it with Kysely the first time, later calls reuse its SQL text. */
export type RunCompiled = <R>(key: string, build: () => Compilable, parameters: readonly unknown[]) => Promise<QueryResult<R>>;

// Keyed by the dialect's adapter, which a Kysely handle shares with its transactions, so the texts compiled
// outside a transaction serve inside it too.
const textsByDialect = new WeakMap<DialectAdapter, Map<string, string>>();

/**
 * Building and compiling a Kysely query costs more than running a small indexed statement on SQLite. A hot
 * statement's SQL depends only on its shape (which columns, which filters), so its text is compiled once per
 * `key` and then executed with fresh parameters. The first compile checks that `parameters` list the values in
 * the order the SQL expects, so a key that does not capture the shape fails loudly instead of binding wrongly.
 */
export function compiledStatements(db: Kysely<any>): RunCompiled {
  const adapter = db.getExecutor().adapter;
  let texts = textsByDialect.get(adapter);
  if (!texts) textsByDialect.set(adapter, (texts = new Map()));
  const cache = texts;
  return async (key, build, parameters) => {
    let text = cache.get(key);
    if (text === undefined) {
      const compiled = build().compile();
      const same = compiled.parameters.length === parameters.length && compiled.parameters.every((p, i) => p === parameters[i]);
      if (!same) throw new Error(`statement '${key}': parameters do not match the compiled SQL`);
      text = compiled.sql;
      cache.set(key, text);
    }
    return db.executeQuery(CompiledQuery.raw(text, parameters as unknown[]));
  };
}
