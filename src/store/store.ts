import type { FileObject, Message, Run, RunStep, Thread, VectorStoreFileBatch } from '../domain/types.js';
import type { ContainerFileObject, StoredContainer } from '../domain/containers.js';
import type { Conversation } from '../domain/responses.js';
import type { AssistantsRepo } from './assistants-repo.js';
import type { ChunksRepo } from './chunks-repo.js';
import type { ConversationItemsRepo } from './conversations-repo.js';
import type { IdTable } from './id-owners.js';
import type { KeysRepo } from './keys-repo.js';
import type { RateLimitsRepo } from './rate-limits-repo.js';
import type { ThreadSessionsRepo } from './thread-sessions-repo.js';
import type { ScriptsRepo } from './scripts-repo.js';
import type { RunEventsRepo } from './run-events-repo.js';
import type { ResponsesRepo } from './responses-repo.js';
import type { RunQueue } from './run-queue.js';
import type { ThreadMessages } from './thread-messages.js';
import type { ThreadsRepo } from './threads-repo.js';
import type { VectorStoreFilesRepo } from './vector-store-files-repo.js';
import type { VectorStoresRepo } from './vector-stores-repo.js';

/** A page request: keyset pagination over (created_at, id), never OFFSET. */
export interface PageQuery {
  limit: number;
  order: 'asc' | 'desc';
  after?: string;
  before?: string;
}

export interface Page<T> {
  data: T[];
  has_more: boolean;
}

/** Equality filters on a repository's indexed columns (thread_id, run_id, purpose, ...). */
export type Scope = Record<string, string | null>;

/** One resource stored as its wire object plus the columns it is found by. Every call is confined to a project. */
export interface DocumentRepo<T extends { id: string; created_at: number }> {
  insert(project: string, doc: T): Promise<void>;
  get(project: string, id: string): Promise<T | undefined>;
  /**
   * Replaces the stored object; false when it no longer exists. What places it (a message's, step's or run's
   * thread and run) must be as inserted: it is not written again.
   */
  replace(project: string, doc: T): Promise<boolean>;
  /**
   * Replaces the stored object only if it is still `expected` (as this caller wrote or read it): false when
   * someone changed it since, or it is gone. Lets a writer that keeps its own copy skip reading it first.
   */
  replaceIf(project: string, doc: T, expected: T): Promise<boolean>;
  /**
   * replaceIf whose answer waits for the commit (Postgres: sent with COMMIT, one round trip fewer): when the stored
   * object is no longer `expected`, the transaction fails as it commits, with an error `isStaleWrite`
   * (stale-write.ts) recognizes. Only on a repository whose driver holds unread statements (runs on Postgres).
   */
  replaceIfAtCommit?(project: string, doc: T, expected: T): Promise<void>;
  /**
   * Replaces the stored object without telling whether it still existed, for a caller that knows it does (it
   * has just read or written it): Postgres sends it with the transaction's next statement, not on its own.
   */
  overwrite(project: string, doc: T): Promise<void>;
  delete(project: string, id: string): Promise<boolean>;
  deleteWhere(project: string, scope: Scope): Promise<number>;
  list(project: string, page: PageQuery, scope?: Scope): Promise<Page<T>>;
  count(project: string, scope?: Scope): Promise<number>;
}

/** What differs between databases, as flags rather than dialect checks scattered through the code. */
export interface StoreCapabilities {
  dialect: 'sqlite' | 'postgres';
  /** Row locks with FOR UPDATE SKIP LOCKED for claiming work. */
  skipLocked: boolean;
  /** LISTEN/NOTIFY for waking workers in other processes. */
  notify: boolean;
}

/** Wake-ups between processes sharing a database. Payloads are short strings (ids). */
export interface Notifications {
  notify(channel: string, payload: string): Promise<void>;
  /** Calls `onMessage` for each notification on `channel`; resolves with a function that stops listening. */
  listen(channel: string, onMessage: (payload: string) => void): Promise<() => Promise<void>>;
  /**
   * Tells other processes that this one waits for `payload` on `channel` (e.g. a run id on the run events channel),
   * so their `wanted` says yes for a while. Call it before each read of what the notification would announce: it
   * renews itself at most every few seconds.
   */
  want(channel: string, payload: string): void;
  /** Whether another process may wait for `payload` on `channel`: if not, a NOTIFY of it would wake nobody. */
  wanted(channel: string, payload: string): boolean;
}

/** The persistence boundary: the only room that knows which database is in use. */
export interface Store {
  readonly capabilities: StoreCapabilities;
  readonly assistants: AssistantsRepo;
  readonly threads: ThreadsRepo;
  readonly messages: DocumentRepo<Message>;
  /** Thread messages as prompts read them, with their stored prompt token counts. */
  readonly threadMessages: ThreadMessages;
  readonly files: DocumentRepo<FileObject>;
  readonly runs: DocumentRepo<Run>;
  readonly runSteps: DocumentRepo<RunStep>;
  readonly keys: KeysRepo;
  /** The file_search index: chunks, embeddings and attributes of vector store files. */
  readonly chunks: ChunksRepo;
  readonly vectorStores: VectorStoresRepo;
  readonly vectorStoreFiles: VectorStoreFilesRepo;
  readonly vectorStoreFileBatches: DocumentRepo<VectorStoreFileBatch>;
  readonly runQueue: RunQueue;
  readonly runEvents: RunEventsRepo;
  /** Named scripts for the scripted model, per project. */
  readonly scripts: ScriptsRepo;
  /** The Responses API: responses with their input items, conversations and their items. */
  readonly responses: ResponsesRepo;
  readonly conversations: DocumentRepo<Conversation>;
  readonly conversationItems: ConversationItemsRepo;
  /** Per-minute request and token counters of keys and projects (configured rate limits). */
  readonly rateLimits: RateLimitsRepo;
  /** Which replica holds each thread's code session (Postgres deployments send the thread's runs there). */
  readonly threadSessions: ThreadSessionsRepo;
  /** Containers (stored with the status they had when last written) and the files in them. */
  readonly containers: DocumentRepo<StoredContainer>;
  readonly containerFiles: DocumentRepo<ContainerFileObject>;
  /**
   * Inside a transaction: holds the thread until commit, so checks like the thread lock cannot race. `shared`
   * holders (message creates) do not block each other, only an exclusive holder (a run create). `mustExist`: a
   * thread that is not there fails the transaction (`isMissingThread`), so the caller need not read it first.
   */
  lockThread(project: string, threadId: string, mode?: 'exclusive' | 'shared', mustExist?: boolean): Promise<void>;
  /** Which of `ids` are files or container files of any project (the blob sweep removes the bytes of the others). */
  knownFileIds(ids: string[]): Promise<Set<string>>;
  /** Which project holds each of `ids` in any project (ids are global); for imports that keep ids. */
  idOwners(table: IdTable, ids: string[]): Promise<Map<string, string>>;
  /** Cross-process wake-ups (Postgres LISTEN/NOTIFY); absent where one process owns the database. */
  readonly notifications?: Notifications;
  /** Runs fn with repositories bound to one transaction. */
  transaction<T>(fn: (tx: Store) => Promise<T>): Promise<T>;
  /** Throws when the database cannot be reached. */
  ping(): Promise<void>;
  /** Names of migrations not yet applied. */
  pendingMigrations(): Promise<string[]>;
  migrate(): Promise<void>;
  close(): Promise<void>;
}
