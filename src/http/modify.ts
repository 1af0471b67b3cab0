import { notFound } from '../domain/errors.js';
import type { Assistant, Message, Run, Thread, VectorStore } from '../domain/types.js';
import type { DocumentRepo, Store } from '../store/store.js';

/** The objects the API lets a client modify, by the name its 404 uses. */
interface Modifiable {
  assistant: Assistant;
  thread: Thread;
  message: Message;
  run: Run;
  'vector store': VectorStore;
}

const repos: { [K in keyof Modifiable]: (store: Store) => DocumentRepo<Modifiable[K]> } = {
  assistant: (s) => s.assistants,
  thread: (s) => s.threads,
  message: (s) => s.messages,
  run: (s) => s.runs,
  'vector store': (s) => s.vectorStores,
};

/** Field changes (an `undefined` field is left as it is), or a function of the object as stored. */
export type Patch<T> = { [F in keyof T]?: T[F] | undefined } | ((stored: T) => T);

/**
 * Applies a modify request to the object as stored at the moment of writing, in one transaction, so a change
 * made meanwhile by someone else (a worker moving a run's status, a search touching a store) is kept rather than
 * overwritten with what the handler read earlier. A 404 when the object is gone.
 */
export async function modify<K extends keyof Modifiable>(store: Store, project: string, kind: K, id: string, patch: Patch<Modifiable[K]>): Promise<Modifiable[K]> {
  return store.transaction(async (tx) => {
    const repo = repos[kind](tx);
    const stored = await repo.get(project, id);
    if (!stored) throw notFound(kind, id);
    const next = typeof patch === 'function' ? patch(stored) : { ...stored, ...definedFields(patch) };
    if (!(await repo.replace(project, next))) throw notFound(kind, id);
    return next;
  });
}

function definedFields<T extends object>(changes: T): Partial<T> {
  return Object.fromEntries(Object.entries(changes).filter(([, value]) => value !== undefined)) as Partial<T>;
}
