import { notFound } from '../domain/errors.js';
import type { Assistant } from '../domain/types.js';
import type { Store } from '../store/store.js';

// On Postgres, reading a run's assistant costs a round trip before the create transaction. Each process keeps the
// assistants its runs used, with their row version; the create transaction checks that version (refuseStale),
// sent with its writes, so a run is never created from an assistant changed meanwhile, on this replica or another.
// A change through this process drops the entry at once (`forgetAssistant`); another replica's change fails the
// check, and the create is made again from the assistant read afresh. SQLite reads are local and cheap: no cache.

/** The assistant a run is created from; `version`: its row version, to be checked by the create transaction. */
export interface RunAssistant {
  assistant: Assistant;
  version?: string;
}

/** What is kept of an assistant: its JSON (each run parses its own copy, so none shares objects) and version. */
export interface KeptAssistant {
  json: string;
  version: string;
}

// Bounded memory per replica: at most MAX_ENTRIES assistants and MAX_CHARS of their JSON (instructions may be
// 256,000 characters each), the least recently used dropped first.
const MAX_ENTRIES = 1000;
const MAX_CHARS = 16 * 1024 * 1024;

/** A least-recently-used map of assistants, bounded by count and by the size of their JSON. */
export class AssistantCache {
  readonly #entries = new Map<string, KeptAssistant>();
  #chars = 0;
  constructor(
    readonly maxEntries = MAX_ENTRIES,
    readonly maxChars = MAX_CHARS,
  ) {}

  get size(): number {
    return this.#entries.size;
  }

  get(key: string): KeptAssistant | undefined {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    // A Map iterates in insertion order: moved to the end, it is the most recently used.
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    return entry;
  }

  set(key: string, entry: KeptAssistant): void {
    this.delete(key);
    if (entry.json.length > this.maxChars) return;
    this.#entries.set(key, entry);
    this.#chars += entry.json.length;
    for (const [oldest, kept] of this.#entries) {
      if (this.#entries.size <= this.maxEntries && this.#chars <= this.maxChars) break;
      this.#entries.delete(oldest);
      this.#chars -= kept.json.length;
    }
  }

  delete(key: string): void {
    const entry = this.#entries.get(key);
    if (!entry) return;
    this.#entries.delete(key);
    this.#chars -= entry.json.length;
  }
}

// One cache per store, i.e. per server (tests run several servers in one process, each its own replica).
const caches = new WeakMap<Store, AssistantCache>();

function cacheOf(store: Store): AssistantCache {
  let cache = caches.get(store);
  if (!cache) caches.set(store, (cache = new AssistantCache()));
  return cache;
}

const keyOf = (project: string, id: string) => `${project}\u0000${id}`;

/**
 * The assistant a run of `project` is created from: kept from an earlier run when the store can check its version
 * (`fresh`: read it anyway), else read. A 404 when there is none.
 */
export async function runAssistant(store: Store, project: string, id: string, fresh = false): Promise<RunAssistant> {
  const repo = store.assistants;
  if (!repo.getVersioned) {
    const assistant = await repo.get(project, id);
    if (!assistant) throw notFound('assistant', id);
    return { assistant };
  }
  const cache = cacheOf(store);
  const key = keyOf(project, id);
  const kept = fresh ? undefined : keptAssistant(store, project, id);
  if (kept) return kept;
  const read = await repo.getVersioned(project, id);
  if (!read) {
    cache.delete(key);
    throw notFound('assistant', id);
  }
  cache.set(key, { json: read.json, version: read.version });
  return { assistant: read.assistant, version: read.version };
}

/** The assistant as this process keeps it (checked by the create transaction), or undefined: none is kept. */
export function keptAssistant(store: Store, project: string, id: string): RunAssistant | undefined {
  const kept = store.assistants.getVersioned ? caches.get(store)?.get(keyOf(project, id)) : undefined;
  return kept && { assistant: JSON.parse(kept.json) as Assistant, version: kept.version };
}

/** Inside the create transaction: fails it (`isStaleAssistant`) when the assistant is no longer as kept. */
export async function refuseStaleAssistant(tx: Store, project: string, owner: RunAssistant): Promise<void> {
  if (owner.version !== undefined) await tx.assistants.refuseStale!(project, owner.assistant.id, owner.version);
}

/** Drops what this process keeps of an assistant it changes or deletes. */
export function forgetAssistant(store: Store, project: string, id: string): void {
  caches.get(store)?.delete(keyOf(project, id));
}
