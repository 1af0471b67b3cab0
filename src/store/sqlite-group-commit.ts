import type BetterSqlite3 from 'better-sqlite3';
import type { Checkpointer } from './sqlite-checkpointer.js';
import { SqliteDialect, Transaction, type CompiledQuery, type DatabaseConnection, type DialectAdapter, type Driver, type Kysely, type QueryResult } from 'kysely';
import { registerDirectExecution, type DirectExecution } from './compiled-statements.js';
import type { DirectTransactions } from './kysely-store.js';
import type { Database } from './schema.js';
import { Statements } from './sqlite-statements.js';
import { Mutex } from '../lib/mutex.js';

// One SQLite COMMIT costs far more than the statements of a small transaction: it appends every touched page to
// the WAL. Under concurrent load each request committing alone spends most of its database time there.
//
// Group commit: writes of the same event-loop turn run inside one shared outer transaction, each in its own
// savepoint (so one request's failure rolls back only its own work; the first needs none, see #begin), and the
// outer transaction commits once the turn ends. Nobody hears that their write succeeded before that COMMIT did, so durability is the same as one
// COMMIT per write. Reads outside a transaction go to a second connection that sees only committed data, so no
// request observes another request's writes before they are committed.

/** The outer transaction that the writes of one event-loop turn share; settles when its COMMIT does. */
class Batch {
  readonly committed: Promise<void>;
  resolve!: () => void;
  reject!: (err: unknown) => void;
  constructor() {
    this.committed = new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    // A batch whose members all rolled back has nobody waiting; its failure must not crash the process.
    this.committed.catch(() => {});
  }
}

const SAVEPOINT = 'assistd_write';

class GroupCommitDriver implements Driver, DirectExecution {
  readonly #writer: Statements;
  readonly #reader: Statements | undefined;
  readonly #checkpointer: Checkpointer | undefined;
  /** The writer connection is held by one transaction at a time. */
  readonly #mutex = new Mutex();
  #batch: Batch | undefined;
  #flushScheduled = false;
  /** A transaction's savepoint is open: statements of "the transaction in progress" may run. */
  #transactionOpen = false;
  /** The transaction in progress opened the batch it writes in (see #begin). */
  #alone = false;

  constructor(writer: BetterSqlite3.Database, reader: BetterSqlite3.Database | undefined, checkpointer: Checkpointer | undefined) {
    this.#writer = new Statements(writer);
    this.#reader = reader ? new Statements(reader) : undefined;
    this.#checkpointer = checkpointer;
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    return new Lease(this);
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    const lease = connection as Lease;
    await lease.lock();
    this.#begin();
    lease.inTransaction = true;
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    const lease = connection as Lease;
    const batch = this.#release();
    lease.inTransaction = false;
    lease.unlock();
    await batch.committed;
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    const lease = connection as Lease;
    lease.inTransaction = false;
    try {
      this.#undo();
    } finally {
      lease.unlock();
    }
  }

  /**
   * Runs `fn` as one transaction (see DirectTransactions in kysely-store.ts): what Kysely's transaction does
   * with this driver, without its builders, executors and connection objects. Resolves once committed.
   */
  async transaction<T>(fn: () => Promise<T>): Promise<T> {
    await this.#mutex.lock();
    let result: T;
    let batch: Batch;
    try {
      this.#begin();
    } catch (err) {
      this.#mutex.unlock();
      throw err;
    }
    try {
      result = await fn();
      batch = this.#release();
    } catch (err) {
      try {
        this.#undo();
      } finally {
        this.#mutex.unlock();
      }
      throw err;
    }
    this.#mutex.unlock();
    await batch.committed;
    return result;
  }

  /** The connection of `transaction`'s handle: its statements belong to the transaction in progress. */
  transactionConnection(): DatabaseConnection {
    const lease = new Lease(this);
    lease.inTransaction = true;
    return lease;
  }

  /**
   * Opens a transaction; the caller holds the writer. A transaction that finds no batch open opens one and is
   * alone in it until it ends (nothing else writes meanwhile): it needs no savepoint, whose undo log costs every
   * page the transaction touches a copy. Later transactions of the batch each get their savepoint.
   */
  #begin(): void {
    if (this.#batch) this.#write(() => this.#writer.control(`savepoint ${SAVEPOINT}`), false);
    else {
      this.#openBatch();
      this.#alone = true;
    }
    this.#transactionOpen = true;
  }

  /** Ends a transaction: its work commits with the batch, returned. */
  #release(): Batch {
    if (this.#alone) this.#alone = false;
    else this.#write(() => this.#writer.control(`release ${SAVEPOINT}`), false);
    this.#transactionOpen = false;
    if (!this.#batch) throw new Error('The transaction was rolled back by an earlier error.');
    return this.#batch;
  }

  /** Undoes a transaction's work. */
  #undo(): void {
    this.#transactionOpen = false;
    if (this.#alone) {
      this.#alone = false;
      // Alone in its batch: undoing it is undoing the batch, which nobody else waits for.
      const batch = this.#batch;
      this.#batch = undefined;
      if (this.#writer.database.inTransaction) this.#writer.control('rollback');
      batch?.resolve();
      return;
    }
    // An I/O or busy error can end the outer transaction by itself; then there is no savepoint left to undo.
    if (this.#writer.database.inTransaction) {
      this.#writer.control(`rollback to ${SAVEPOINT}`);
      this.#writer.control(`release ${SAVEPOINT}`);
    }
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    (connection as Lease).unlock();
  }

  async destroy(): Promise<void> {
    await this.#mutex.lock();
    try {
      this.#commit();
      await this.#checkpointer?.close();
    } finally {
      this.#reader?.database.close();
      this.#writer.database.close();
      this.#mutex.unlock();
    }
  }

  lock(): Promise<void> {
    return this.#mutex.lock();
  }

  unlock(): void {
    this.#mutex.unlock();
  }

  /**
   * A compiled statement run without Kysely's executor (compiled-statements.ts). One transaction at a time holds
   * the writer, so a statement of a transaction runs there.
   */
  execute(db: Kysely<any>, sql: string, parameters: readonly unknown[]): Promise<QueryResult<any>> {
    // It has no use for `unread`: it answers at once anyway.
    return this.run(db.isTransaction ? undefined : new Lease(this), sql, parameters);
  }

  /**
   * Runs a statement for a lease (none: the transaction in progress); a write outside a transaction joins the
   * batch and waits for its commit.
   */
  async run(lease: Lease | undefined, sql: string, parameters: readonly unknown[]): Promise<QueryResult<any>> {
    if (!lease || lease.inTransaction) {
      // A transaction's handle used after it ended would write into whichever transaction comes next.
      if (!this.#transactionOpen) throw new Error('A statement of a transaction ran after the transaction ended.');
      return this.#write(() => this.#writer.run(this.#writer.get(sql), parameters), false);
    }
    const statement = this.#writer.get(sql);
    const readOnly = statement.reader && statement.readonly;
    if (readOnly && this.#reader) {
      // Between batches the writer holds nothing uncommitted, and its page cache is warm: the reader's starts
      // cold after every commit (SQLite drops a connection's cache when another one has written).
      if (!this.#batch) return this.#writer.run(statement, parameters);
      return this.#reader.run(this.#reader.get(sql), parameters);
    }
    let result: QueryResult<any>;
    let batch: Batch | undefined;
    await lease.lock();
    try {
      // Without a reader (an in-memory database, which has no durability to protect) reads share the writer.
      if (readOnly) return this.#writer.run(statement, parameters);
      result = this.#write(() => this.#writer.run(statement, parameters), true);
      batch = this.#batch;
    } finally {
      lease.unlock();
    }
    await batch?.committed;
    return result;
  }

  /**
   * Runs a write inside the open batch (opening one when `open`); an error that ended the outer transaction
   * (SQLite rolls back by itself on I/O, disk-full and busy errors) fails every write of the batch.
   */
  #write<T>(work: () => T, open: boolean): T {
    if (!this.#batch) {
      if (!open) throw new Error('The transaction was rolled back by an earlier error.');
      this.#openBatch();
    }
    try {
      return work();
    } catch (err) {
      if (!this.#writer.database.inTransaction) this.#fail(err);
      throw err;
    }
  }

  #openBatch(): void {
    this.#writer.control('begin immediate');
    this.#batch = new Batch();
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      setImmediate(() => void this.#flush());
    }
  }

  async #flush(): Promise<void> {
    this.#flushScheduled = false;
    await this.#mutex.lock();
    try {
      this.#commit();
    } finally {
      this.#mutex.unlock();
    }
  }

  #commit(): void {
    const batch = this.#batch;
    if (!batch) return;
    this.#batch = undefined;
    try {
      this.#writer.control('commit');
      batch.resolve();
    } catch (err) {
      if (this.#writer.database.inTransaction) this.#writer.control('rollback');
      batch.reject(err);
    }
  }

  #fail(err: unknown): void {
    const batch = this.#batch;
    this.#batch = undefined;
    batch?.reject(err);
  }
}

/** One acquisition of the driver: holds the writer lock only while it writes, never while it only reads. */
class Lease implements DatabaseConnection {
  locked = false;
  inTransaction = false;
  constructor(private readonly driver: GroupCommitDriver) {}

  async lock(): Promise<void> {
    if (this.locked) return;
    await this.driver.lock();
    this.locked = true;
  }

  unlock(): void {
    if (!this.locked) return;
    this.locked = false;
    this.driver.unlock();
  }

  executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    return this.driver.run(this, query.sql, query.parameters);
  }

  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('streaming queries are not supported on SQLite');
  }
}

/**
 * Kysely's SQLite dialect with group commit. `reader` is a second connection to the same file for reads outside
 * transactions; without it (an in-memory database) reads share the writer.
 */
export class SqliteGroupCommitDialect extends SqliteDialect {
  constructor(
    private readonly writer: BetterSqlite3.Database,
    private readonly reader?: BetterSqlite3.Database,
    private readonly checkpointer?: Checkpointer,
  ) {
    super({ database: writer });
  }

  #driver: GroupCommitDriver | undefined;

  // One driver for both: the adapter carries it to runCompiled.
  override createDriver(): Driver {
    return (this.#driver ??= new GroupCommitDriver(this.writer, this.reader, this.checkpointer));
  }

  /** Transactions over `db` (a Kysely on this dialect) run by the driver itself (see DirectTransactions). */
  directTransactions(db: Kysely<Database>): DirectTransactions {
    const driver = this.createDriver() as GroupCommitDriver;
    const connection = driver.transactionConnection();
    const executor = db.getExecutor().withConnectionProvider({ provideConnection: (consume) => consume(connection) });
    const handle = new Transaction<Database>({ config: { dialect: this }, driver, dialect: this, executor });
    return { run: (fn) => driver.transaction(() => fn(handle)) };
  }

  override createAdapter(): DialectAdapter {
    const adapter = super.createAdapter();
    registerDirectExecution(adapter, this.createDriver() as GroupCommitDriver);
    return adapter;
  }
}
