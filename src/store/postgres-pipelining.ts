import type { Socket } from 'node:net';
import { PostgresDialect, Transaction, type CompiledQuery, type DatabaseConnection, type DialectAdapter, type Driver, type Kysely, type QueryResult, type TransactionSettings } from 'kysely';
import pg from 'pg';
import { registerDirectExecution, type DirectExecution } from './compiled-statements.js';
import type { DirectTransactions } from './kysely-store.js';
import { mergedWrites, type Statement } from './pg-merged-writes.js';
import type { Database } from './schema.js';
import { isUnread } from './unread-results.js';

// A statement sent on its own and waited for costs a socket write, a wait and a read (a round trip), which on a
// busy machine cost more than the statement itself. A run writes in a few short
// transactions, mostly INSERTs whose answer nobody reads. Inside a transaction this driver holds back BEGIN and
// plain INSERTs and sends them with the next statement that needs an answer (or with COMMIT), pipelined: each
// with its parameters (extended protocol, prepared once per connection, so Postgres neither parses nor plans it
// again), all in one socket write. A transaction that only inserts is one round trip instead of two plus one per
// row. Statements marked unread (unread-results.ts, e.g. an UPDATE of a row the transaction has just read) are
// held the same way, and so are reads whose caller waits for them only after the commit (runCompiled's
// `atCommit`), answered when their batch is.
// Held writes are merged into as few statements as keep their meaning (pg-merged-writes.ts); a transaction whose
// writes become one statement is sent without BEGIN and COMMIT.
// A held statement that fails aborts the transaction, so the statements behind it fail too; the statement it was
// sent with (or COMMIT) fails with the held one's error, which fails the transaction, as it would have anyway.

/**
 * Held back (see above) whatever its caller says: an INSERT whose answer is only its row count, or one that also
 * wakes listeners (`with ... as (insert ...) select pg_notify(...)`), whose answer is nothing.
 */
function insertOnly(sql: string): boolean {
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

/** What is known of a statement text once: its prepared name (if any) and whether it is insert-only. */
interface Shape {
  name: string | undefined;
  insertOnly: boolean;
}
const shapes = new Map<string, Shape>();

function shapeOf(text: string): Shape {
  let shape = shapes.get(text);
  if (shape) return shape;
  shape = { name: undefined, insertOnly: insertOnly(text) };
  if (shapes.size >= MAX_NAMED_STATEMENTS) return shape;
  if (!text.includes('*')) shape.name = `assistd_${shapes.size + 1}`;
  shapes.set(text, shape);
  return shape;
}

type Answer = (err: Error | undefined, result: pg.QueryResult | undefined) => void;

/**
 * Gives the client a statement. A Query built from text and values (its name set after) is taken as it is: a
 * config object would be copied property by property for every statement, which costs more than the rest of
 * sending it.
 */
function submit(client: pg.PoolClient, statement: Statement, answer: Answer): void {
  const told = statement.answer;
  const settle = told ? (err: Error | undefined, result: pg.QueryResult | undefined) => (told(err, result && resultOf(result)), answer(err, result)) : answer;
  const query = new pg.Query(statement.text, statement.values as unknown[], settle as (err: Error | undefined, result: unknown) => void);
  if (statement.name !== undefined) (query as unknown as { name: string }).name = statement.name;
  client.query(query);
}

function sendAlone(client: pg.PoolClient, statement: Statement): Promise<QueryResult<any>> {
  return new Promise((resolve, reject) => submit(client, statement, (err, result) => (err ? reject(err) : resolve(resultOf(result!)))));
}

class PipeliningConnection implements DatabaseConnection {
  /** Statements of the open transaction not sent yet, BEGIN first until it is sent. */
  held: Statement[] = [];
  inTransaction = false;
  /** The Kysely transaction over this connection that direct transactions hand out, made once (see handleOf). */
  handle: Kysely<Database> | undefined;
  constructor(readonly client: pg.PoolClient) {}

  executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    return this.run(query.sql, query.parameters, isUnread(query));
  }

  /**
   * Runs a statement; held (answered with no rows) when inside a transaction its answer is not read, or held and
   * answered when its batch is (`atCommit`: the caller waits for it only after the commit).
   */
  run(text: string, values: readonly unknown[], unread: boolean, atCommit = false): Promise<QueryResult<any>> {
    const shape = shapeOf(text);
    const statement: Statement = { text, values, name: shape.name };
    if (!this.inTransaction) return sendAlone(this.client, statement);
    if (atCommit) {
      return new Promise((resolve, reject) => {
        statement.answer = (err, result) => (err ? reject(err) : resolve(result as QueryResult<any>));
        this.held.push(statement);
      });
    }
    if (unread || shape.insertOnly) {
      this.held.push(statement);
      // Its row count is not known yet; callers of a plain INSERT do not read it.
      return Promise.resolve({ rows: [] });
    }
    return this.send(statement);
  }

  /**
   * Sends the held statements and `last` in one write: the client pipelines them (sends each without waiting for
   * the one before), and the socket, corked around them all, gathers their messages, which pg would otherwise
   * write one statement at a time. Resolves with `last`'s result, or rejects with the first failure, once every
   * statement of the batch is answered.
   */
  send(last: Statement): Promise<QueryResult<any>> {
    const batch = this.takeHeld();
    batch.push(last);
    return this.sendAll(batch);
  }

  /** Sends `batch` as `send` does; resolves with the last statement's result. */
  sendAll(batch: Statement[]): Promise<QueryResult<any>> {
    return new Promise((resolve, reject) => {
      let waiting = batch.length;
      let failure: Error | undefined;
      let answer: pg.QueryResult | undefined;
      const settle = (err: Error | undefined, result: pg.QueryResult | undefined, isLast: boolean) => {
        if (err && !failure) failure = err;
        if (isLast) answer = result;
        if (--waiting > 0) return;
        if (failure) reject(failure);
        else resolve(resultOf(answer!));
      };
      const socket = (this.client as unknown as { connection: { stream: Socket } }).connection.stream;
      socket.cork();
      try {
        for (let i = 0; i < batch.length; i++) {
          const isLast = i === batch.length - 1;
          submit(this.client, batch[i]!, (err, result) => settle(err, result, isLast));
        }
      } finally {
        socket.uncork();
      }
    });
  }

  /** The held statements, their writes merged (pg-merged-writes.ts), BEGIN first if it is held. */
  takeHeld(): Statement[] {
    const held = this.held;
    this.held = [];
    const begin = beginHeld(held) ? held.shift()! : undefined;
    const writes = mergedWrites(held);
    if (begin) writes.unshift(begin);
    return writes;
  }

  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('streaming queries are not supported');
  }
}

/** Whether `held` still starts with the transaction's BEGIN, i.e. nothing of the transaction reached the server. */
const beginHeld = (held: Statement[]) => held.length > 0 && /^begin\b/.test(held[0]!.text);

/** Drops statements never sent, failing the held reads among them (their callers wait for an answer). */
function dropHeld(c: PipeliningConnection): void {
  for (const statement of c.held) statement.answer?.(new Error('The transaction ended before this statement was sent.'), undefined);
  c.held = [];
}

// Opening, committing and releasing are plain functions, so that transactions the driver runs itself (see
// transaction below) wait only where the server is asked something.

function open(c: PipeliningConnection, begin: string): void {
  c.held = [{ text: begin }];
  c.inTransaction = true;
}

/** Undefined when there is nothing to wait for: a transaction that wrote nothing has nothing to commit. */
function commit(c: PipeliningConnection): Promise<unknown> | undefined {
  c.inTransaction = false;
  if (c.held.length === 1 && beginHeld(c.held)) {
    dropHeld(c);
    return undefined;
  }
  if (c.held[0]?.text !== 'begin') return c.send({ text: 'commit' });
  // Nothing of the transaction reached the server yet (a plain BEGIN is held): when its writes merge into one
  // statement, that statement is sent alone, which Postgres runs as a transaction of its own.
  const statements = c.takeHeld();
  if (statements.length === 2) return sendAlone(c.client, statements[1]!);
  statements.push({ text: 'commit' });
  return c.sendAll(statements);
}

function release(c: PipeliningConnection): void {
  dropHeld(c);
  c.inTransaction = false;
  c.client.release();
}

const ended = () => new Error('A statement of a transaction ran after the transaction ended.');

class PipeliningPostgresDriver implements Driver, DirectExecution {
  readonly #connections = new WeakMap<pg.PoolClient, PipeliningConnection>();
  /** The connection under each handle that direct transactions hand out. */
  readonly #handles = new WeakMap<Kysely<any>, PipeliningConnection>();
  constructor(
    private readonly pool: pg.Pool,
    private readonly dialect: PipeliningPostgresDialect,
  ) {}

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    return this.#connectionOf(await this.pool.connect());
  }

  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    let begin = 'begin';
    if (settings.isolationLevel) begin += ` isolation level ${settings.isolationLevel}`;
    if (settings.accessMode) begin += ` ${settings.accessMode}`;
    open(connection as PipeliningConnection, begin);
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await commit(connection as PipeliningConnection);
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    const c = connection as PipeliningConnection;
    c.inTransaction = false;
    // BEGIN still held: nothing reached the server, so there is nothing to undo.
    const begun = !beginHeld(c.held);
    dropHeld(c);
    if (begun) await c.client.query('rollback');
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    release(connection as PipeliningConnection);
  }

  #connectionOf(client: pg.PoolClient): PipeliningConnection {
    let connection = this.#connections.get(client);
    if (!connection) this.#connections.set(client, (connection = new PipeliningConnection(client)));
    return connection;
  }

  async destroy(): Promise<void> {
    await this.pool.end();
  }

  /**
   * A compiled statement run without Kysely's executor (compiled-statements.ts): on the connection of a direct
   * transaction's handle, or on a pooled connection outside transactions. Another transaction's handle is left
   * to Kysely, whose executor knows its connection.
   */
  execute(db: Kysely<any>, sql: string, parameters: readonly unknown[], unread: boolean, atCommit = false): Promise<QueryResult<any>> | undefined {
    if (!db.isTransaction) return this.#alone(sql, parameters);
    const connection = this.#handles.get(db);
    if (!connection) return undefined;
    // A handle kept past its transaction is refused while its connection is idle; like SQLite's one handle, it
    // cannot be told apart once the connection carries another transaction: handles must not outlive theirs.
    if (!connection.inTransaction) return Promise.reject(ended());
    return connection.run(sql, parameters, unread, atCommit);
  }

  async #alone(sql: string, parameters: readonly unknown[]): Promise<QueryResult<any>> {
    const client = await this.pool.connect();
    try {
      return await sendAlone(client, { text: sql, values: parameters, name: shapeOf(sql).name });
    } finally {
      client.release();
    }
  }

  /**
   * Runs `fn` in a transaction on a pooled connection, as Kysely's transaction does, handing it the one handle
   * of that connection (see DirectTransactions): Kysely makes a handle, executor and connection provider per
   * transaction, and the store a set of repositories over each.
   */
  async transaction<T>(db: Kysely<Database>, fn: (handle: Kysely<Database>) => Promise<T>): Promise<T> {
    const connection = this.#connectionOf(await this.pool.connect());
    try {
      open(connection, 'begin');
      let result: T;
      try {
        result = await fn(this.#handleOf(db, connection));
        const committed = commit(connection);
        if (committed) await committed;
      } catch (err) {
        await this.rollbackTransaction(connection);
        throw err;
      }
      return result;
    } finally {
      release(connection);
    }
  }

  #handleOf(db: Kysely<Database>, connection: PipeliningConnection): Kysely<Database> {
    if (connection.handle) return connection.handle;
    const executor = db.getExecutor().withConnectionProvider({ provideConnection: (consume) => (connection.inTransaction ? consume(connection) : Promise.reject(ended())) });
    const handle = new Transaction<Database>({ config: { dialect: this.dialect }, driver: this, dialect: this.dialect, executor });
    this.#handles.set(handle, connection);
    return (connection.handle = handle);
  }
}

/**
 * Kysely's Postgres dialect over a pg pool whose clients pipeline (`pipeline: true`), with BEGIN and plain
 * INSERTs of a transaction held and sent with the next statement (see above).
 */
export class PipeliningPostgresDialect extends PostgresDialect {
  #driver: PipeliningPostgresDriver | undefined;
  constructor(private readonly pipeliningPool: pg.Pool) {
    super({ pool: pipeliningPool });
  }

  // One driver for Kysely and for runCompiled, which the adapter leads to.
  override createDriver(): Driver {
    return (this.#driver ??= new PipeliningPostgresDriver(this.pipeliningPool, this));
  }

  override createAdapter(): DialectAdapter {
    const adapter = super.createAdapter();
    registerDirectExecution(adapter, this.createDriver() as PipeliningPostgresDriver);
    return adapter;
  }

  /** Transactions over `db` (a Kysely on this dialect) run by the driver itself (see DirectTransactions). */
  directTransactions(db: Kysely<Database>): DirectTransactions {
    const driver = this.createDriver() as PipeliningPostgresDriver;
    return { run: (fn) => driver.transaction(db, fn) };
  }
}
