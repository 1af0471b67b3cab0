import { PostgresDialect, type CompiledQuery, type DatabaseConnection, type Driver, type QueryResult, type TransactionSettings } from 'kysely';
import pg from 'pg';
import { isUnread } from './unread-results.js';

// Every statement sent to Postgres is a round trip (node-postgres does not pipeline): a socket write, a wait
// and a read, which on a busy machine cost more than the statement itself. A run writes in a few short
// transactions, mostly INSERTs whose answer nobody reads. Inside a transaction this driver holds back BEGIN and
// plain INSERTs and sends them with the next statement that needs an answer (or with COMMIT) as one
// multi-statement query: a transaction that only inserts is one round trip instead of two plus one per row.
// Statements marked unread (unread-results.ts, e.g. an UPDATE of a row the transaction has just read) are held
// the same way.
// A held INSERT that fails fails the statement it was sent with, which fails the transaction, as it would
// have anyway. The values go into the text as literals, quoted as node-postgres sends parameters (text of
// unknown type), so Postgres types them from their context exactly as it types parameters.

/** A statement's text with its parameters as literals, or undefined when it cannot be written so. */
function inlined(query: CompiledQuery): string | undefined {
  // A quote in the text could put a `$n` inside a literal; such statements are sent as they are.
  if (query.sql.includes("'") || query.sql.includes('$$')) return undefined;
  let ok = true;
  const text = query.sql.replace(/\$(\d+)/g, (_, n: string) => {
    const literal = literalOf(query.parameters[Number(n) - 1]);
    if (literal === undefined) ok = false;
    return literal ?? '';
  });
  return ok ? text : undefined;
}

/** A value as node-postgres sends it (its text), quoted; undefined for kinds sent otherwise (dates, buffers, arrays). */
function literalOf(value: unknown): string | undefined {
  if (value === null || value === undefined) return 'null';
  const text = typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean' ? String(value) : undefined;
  // Postgres text cannot hold NUL; the server rejects such a parameter, so such a statement is sent as one.
  if (text === undefined || text.includes('\0')) return undefined;
  return quoted(text);
}

/**
 * `text` as a string literal, written exactly as pg.escapeLiteral writes it (E'...' with doubled backslashes when
 * it has any), but with native replaces: pg's loop appends one character at a time, which for a run's JSON of a
 * few KB costs more than its round trip.
 */
export function quoted(text: string): string {
  const doubled = text.replaceAll("'", "''");
  return text.includes('\\') ? ` E'${doubled.replaceAll('\\', '\\\\')}'` : `'${doubled}'`;
}

/**
 * Held back (see above): a statement marked unread, an INSERT whose answer is only its row count, or one that
 * also wakes listeners (`with ... as (insert ...) select pg_notify(...)`), whose answer is nothing.
 */
function holdable(query: CompiledQuery): boolean {
  if (isUnread(query)) return true;
  const { sql } = query;
  if (sql.includes(' returning ') || sql.includes(' on conflict ')) return false;
  return sql.startsWith('insert into ') || (sql.startsWith('with ') && sql.includes(' as (insert into ') && sql.endsWith(' as "notified"') && sql.includes('select pg_notify('));
}

function resultOf(result: pg.QueryResult): QueryResult<any> {
  const { command, rowCount, rows } = result;
  const counted = command === 'INSERT' || command === 'UPDATE' || command === 'DELETE' || command === 'MERGE';
  return { ...(counted ? { numAffectedRows: BigInt(rowCount ?? 0) } : {}), rows: rows ?? [] };
}

// A statement sent with parameters is parsed and planned by Postgres each time unless it is prepared under a
// name. The store sends a few hundred distinct texts (compiled once by shape), so each gets a name the first time
// it is sent; the first use on each connection prepares it there. Texts past the cap (ad-hoc shapes, e.g. an IN
// list of every length) go unnamed, so neither this map nor a backend's prepared statements grow without bound.
// `select *` stays unnamed: a prepared `*` fails once another replica's migration adds a column.
const MAX_NAMED_STATEMENTS = 500;
const statementNames = new Map<string, string>();

function statementName(text: string): string | undefined {
  const known = statementNames.get(text);
  if (known !== undefined || statementNames.size >= MAX_NAMED_STATEMENTS || text.includes('*')) return known;
  const name = `assistd_${statementNames.size + 1}`;
  statementNames.set(text, name);
  return name;
}

/** A statement with its parameters, prepared under its name when it has one. */
function withParameters(query: CompiledQuery): pg.QueryConfig {
  const name = statementName(query.sql);
  return { text: query.sql, values: [...query.parameters], ...(name === undefined ? {} : { name }) };
}

class BatchingConnection implements DatabaseConnection {
  /** Statements of the open transaction not sent yet, BEGIN first until it is sent. */
  held: string[] = [];
  inTransaction = false;
  constructor(readonly client: pg.PoolClient) {}

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    if (!this.inTransaction) return resultOf(await this.client.query(withParameters(query)));
    const text = inlined(query);
    if (text !== undefined && holdable(query)) {
      this.held.push(text);
      // Its row count is not known yet; callers of a plain INSERT do not read it.
      return { rows: [] };
    }
    if (text !== undefined) return resultOf(await this.send(text));
    if (this.held.length > 0) await this.send();
    return resultOf(await this.client.query(withParameters(query)));
  }

  /** Sends the held statements, then `last` if given, in one query; resolves with the last one's result. */
  async send(last?: string): Promise<pg.QueryResult> {
    const texts = last === undefined ? this.held : [...this.held, last];
    this.held = [];
    const results = (await this.client.query(texts.join(';\n'))) as pg.QueryResult | pg.QueryResult[];
    return Array.isArray(results) ? results[results.length - 1]! : results;
  }

  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('streaming queries are not supported');
  }
}

class BatchingPostgresDriver implements Driver {
  readonly #connections = new WeakMap<pg.PoolClient, BatchingConnection>();
  constructor(private readonly pool: pg.Pool) {}

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    const client = await this.pool.connect();
    let connection = this.#connections.get(client);
    if (!connection) this.#connections.set(client, (connection = new BatchingConnection(client)));
    return connection;
  }

  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    const c = connection as BatchingConnection;
    let begin = 'begin';
    if (settings.isolationLevel) begin += ` isolation level ${settings.isolationLevel}`;
    if (settings.accessMode) begin += ` ${settings.accessMode}`;
    c.held = [begin];
    c.inTransaction = true;
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    const c = connection as BatchingConnection;
    c.inTransaction = false;
    // A transaction that wrote nothing has nothing to commit.
    if (c.held.length === 1 && c.held[0]!.startsWith('begin')) c.held = [];
    else await c.send('commit');
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    const c = connection as BatchingConnection;
    c.inTransaction = false;
    // BEGIN still held: nothing reached the server, so there is nothing to undo.
    const begun = !(c.held.length > 0 && c.held[0]!.startsWith('begin'));
    c.held = [];
    if (begun) await c.client.query('rollback');
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    const c = connection as BatchingConnection;
    c.held = [];
    c.inTransaction = false;
    c.client.release();
  }

  async destroy(): Promise<void> {
    await this.pool.end();
  }
}

/** Kysely's Postgres dialect over a pg pool, with BEGIN and plain INSERTs of a transaction batched (see above). */
export class BatchingPostgresDialect extends PostgresDialect {
  constructor(private readonly batchingPool: pg.Pool) {
    super({ pool: batchingPool });
  }

  override createDriver(): Driver {
    return new BatchingPostgresDriver(this.batchingPool);
  }
}
