import type BetterSqlite3 from 'better-sqlite3';
import type { QueryResult } from 'kysely';

/** Statements prepared once per SQL text; the set of texts is small and fixed by the code. */
export class Statements {
  readonly #cache = new Map<string, BetterSqlite3.Statement>();
  constructor(readonly database: BetterSqlite3.Database) {}

  get(sql: string): BetterSqlite3.Statement {
    let statement = this.#cache.get(sql);
    if (!statement) {
      statement = this.database.prepare(sql);
      if (this.#cache.size > 1000) this.#cache.clear();
      this.#cache.set(sql, statement);
    }
    return statement;
  }

  /** Runs a statement that takes no parameters and returns no rows (savepoints, begin, commit). */
  control(sql: string): void {
    this.get(sql).run();
  }

  run(statement: BetterSqlite3.Statement, parameters: readonly unknown[]): QueryResult<any> {
    if (statement.reader) return { rows: statement.all(parameters) };
    const { changes, lastInsertRowid } = statement.run(parameters);
    return { rows: [], numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid) };
  }
}
