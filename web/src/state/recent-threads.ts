// Threads have no title, so the playground remembers the first message of the threads it made in this browser's
// local storage to name them; on a server without assistd's thread list (docs/thread-list.md) this is the list.
const STORAGE_KEY = 'assistd.playground.threads';
const MAX_THREADS = 30;

export interface RecentThread {
  id: string;
  title: string;
  created_at: number;
}

export function loadRecentThreads(): RecentThread[] {
  try {
    const parsed = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? '[]') as unknown;
    return Array.isArray(parsed) ? parsed.filter((t): t is RecentThread => typeof t?.id === 'string') : [];
  } catch {
    return [];
  }
}

/** Puts the thread first (adding or renaming it) and returns the new list. */
export function rememberThread(thread: RecentThread): RecentThread[] {
  const others = loadRecentThreads().filter((t) => t.id !== thread.id);
  const previous = loadRecentThreads().find((t) => t.id === thread.id);
  const next = [{ ...thread, title: previous?.title && !thread.title ? previous.title : thread.title }, ...others].slice(0, MAX_THREADS);
  localStorage.setItem(STORAGE_KEY, JSON.stringify(next));
  return next;
}

export function forgetThread(id: string): RecentThread[] {
  const next = loadRecentThreads().filter((t) => t.id !== id);
  localStorage.setItem(STORAGE_KEY, JSON.stringify(next));
  return next;
}
