import type { Socket } from 'node:net';
import { PostgresDialect, type CompiledQuery, type DatabaseConnection, type Driver, type QueryResult, type TransactionSettings } from 'kysely';
import pg from 'pg';
import { mergedWrites } from './pg-merged-writes.js';
import { isUnread } from './unread-results.js';

// A statement sent on its own and waited for costs a socket write, a wait and a read (a round trip), which on a
// busy machine cost more than the statement itself. A run writes in a few short
// transactions, mostly INSERTs whose answer nobody reads. Inside a transaction this driver holds back BEGIN and
// plain INSERTs and sends them with the next statement that needs an answer (or with COMMIT), pipelined: each
// with its parameters (extended protocol, prepared once per connection, so Postgres neither parses nor plans it
// again), all in one socket write. A transaction that only inserts is one round trip instead of two plus one per
// row. Statements marked unread (unread-results.ts, e.g. an UPDATE of a row the transaction has just read) are
// held the same way.
// A held statement that fails aborts the transaction, so the statements behind it fail too; the statement it was
// sent with (or COMMIT) fails with the held one's error, which fails the transaction, as it would have anyway.

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
  return { text: query.sql, values: query.parameters as unknown[], ...(name === undefined ? {} : { name }) };
}

/**
 * Gives the client a statement. A Query built from text and values (its name set after) is taken as it is: a
 * config object would be copied property by property for every statement, which costs more than the rest of
 * sending it.
 */
function submit(client: pg.PoolClient, statement: pg.QueryConfig): Promise<pg.QueryResult> {
  return new Promise((resolve, reject) => {
    const query = new pg.Query(statement.text, statement.values, (err, result) => {
      if (!err) return resolve(result as unknown as pg.QueryResult);
      // Its stack would lead to the socket's read; this one leads back to the statement's caller.
      Error.captureStackTrace(err);
      reject(err);
    });
    if (statement.name !== undefined) (query as unknown as { name: string }).name = statement.name;
    client.query(query);
  });
}

class PipeliningConnection implements DatabaseConnection {
  /** Statements of the open transaction not sent yet, BEGIN first until it is sent. */
  held: pg.QueryConfig[] = [];
  inTransaction = false;
  constructor(readonly client: pg.PoolClient) {}

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    const statement = withParameters(query);
    if (!this.inTransaction) return resultOf(await submit(this.client, statement));
    if (holdable(query)) {
      this.held.push(statement);
      // Its row count is not known yet; callers of a plain INSERT do not read it.
      return { rows: [] };
    }
    return resultOf(await this.send(statement));
  }

  /**
   * Sends the held statements and `last` in one write: the client pipelines them (sends each without waiting for
   * the one before), and the socket, corked around them all, gathers their messages, which pg would otherwise
   * write one statement at a time. Resolves with `last`'s result, or rejects with the first failure.
   */
  async send(last: pg.QueryConfig): Promise<pg.QueryResult> {
    return this.sendAll([...this.takeHeld(), last]);
  }

  async sendAll(batch: pg.QueryConfig[]): Promise<pg.QueryResult> {
    const socket = (this.client as unknown as { connection: { stream: Socket } }).connection.stream;
    socket.cork();
    let answers: Array<Promise<pg.QueryResult>>;
    try {
      answers = batch.map((statement) => submit(this.client, statement));
    } finally {
      socket.uncork();
    }
    const settled = await Promise.allSettled(answers);
    const failed = settled.find((s) => s.status === 'rejected');
    if (failed) throw failed.reason;
    return (settled[settled.length - 1] as PromiseFulfilledResult<pg.QueryResult>).value;
  }

  /** The held statements, their writes merged (pg-merged-writes.ts), BEGIN first if it is held. */
  takeHeld(): pg.QueryConfig[] {
    const held = this.held;
    this.held = [];
    const begin = beginHeld(held) ? held.shift()! : undefined;
    const writes = mergedWrites(held) as pg.QueryConfig[];
    return begin ? [begin, ...writes] : writes;
  }

  /**
   * Commits a transaction none of which reached the server yet (a plain BEGIN still held): when its writes merge
   * into one statement, that statement is sent alone, which Postgres runs as a transaction of its own.
   */
  async commitHeld(): Promise<void> {
    const statements = this.takeHeld();
    if (statements.length === 2) await submit(this.client, statements[1]!);
    else await this.sendAll([...statements, { text: 'commit' }]);
  }

  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('streaming queries are not supported');
  }
}

/** Whether `held` still starts with the transaction's BEGIN, i.e. nothing of the transaction reached the server. */
const beginHeld = (held: pg.QueryConfig[]) => held.length > 0 && /^begin\b/.test(held[0]!.text);

class PipeliningPostgresDriver implements Driver {
  readonly #connections = new WeakMap<pg.PoolClient, PipeliningConnection>();
  constructor(private readonly pool: pg.Pool) {}

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    const client = await this.pool.connect();
    let connection = this.#connections.get(client);
    if (!connection) this.#connections.set(client, (connection = new PipeliningConnection(client)));
    return connection;
  }

  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    const c = connection as PipeliningConnection;
    let begin = 'begin';
    if (settings.isolationLevel) begin += ` isolation level ${settings.isolationLevel}`;
    if (settings.accessMode) begin += ` ${settings.accessMode}`;
    c.held = [{ text: begin }];
    c.inTransaction = true;
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    const c = connection as PipeliningConnection;
    c.inTransaction = false;
    // A transaction that wrote nothing has nothing to commit.
    if (c.held.length === 1 && beginHeld(c.held)) c.held = [];
    else if (c.held[0]?.text === 'begin') await c.commitHeld();
    else await c.send({ text: 'commit' });
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    const c = connection as PipeliningConnection;
    c.inTransaction = false;
    // BEGIN still held: nothing reached the server, so there is nothing to undo.
    const begun = !beginHeld(c.held);
    c.held = [];
    if (begun) await c.client.query('rollback');
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    const c = connection as PipeliningConnection;
    c.held = [];
    c.inTransaction = false;
    c.client.release();
  }

  async destroy(): Promise<void> {
    await this.pool.end();
  }
}

/**
 * Kysely's Postgres dialect over a pg pool whose clients pipeline (`pipeline: true`), with BEGIN and plain
 * INSERTs of a transaction held and sent with the next statement (see above).
 */
export class PipeliningPostgresDialect extends PostgresDialect {
  constructor(private readonly pipeliningPool: pg.Pool) {
    super({ pool: pipeliningPool });
  }

  override createDriver(): Driver {
    return new PipeliningPostgresDriver(this.pipeliningPool);
  }
}
