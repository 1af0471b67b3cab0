import { useEffect, useRef, useState } from 'preact/hooks';
import type { Thread } from '../../../src/domain/types';
import type { ApiClient } from '../api/client';
import type { RecentThread } from '../state/recent-threads';
import { emptyThreadQuery, listThreads, threadListParams, type ThreadQuery } from '../state/thread-search';

interface Props {
  client: ApiClient;
  /** Titles this browser remembers (the first message of threads it made). */
  recent: RecentThread[];
  /** Whether the server lists threads; without it only a pasted id can be opened. */
  canList: boolean;
  onOpen(threadId: string): void;
  onClose(): void;
}

function describe(thread: Thread, recent: RecentThread[]): string {
  const title = recent.find((r) => r.id === thread.id)?.title;
  const meta = Object.entries(thread.metadata ?? {}).map(([k, v]) => `${k}=${v}`).join(', ');
  return [title, meta].filter(Boolean).join(' · ') || 'No title';
}

/** The project's threads (assistd's `GET /v1/threads`), searchable by metadata and date, or opened by a pasted id. */
export function ThreadFinder({ client, recent, canList, onOpen, onClose }: Props) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [query, setQuery] = useState<ThreadQuery>(emptyThreadQuery);
  const [pasted, setPasted] = useState('');
  const [threads, setThreads] = useState<Thread[]>([]);
  const [more, setMore] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);

  async function search(after?: string) {
    const params = threadListParams(query);
    if (!params.ok) return setError(params.error);
    setLoading(true);
    setError(null);
    try {
      const page = await listThreads(client, params.params, after);
      setThreads((list) => (after ? [...list, ...page.data] : page.data));
      setMore(page.has_more);
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setLoading(false);
    }
  }

  useEffect(() => {
    dialog.current?.showModal();
    if (canList) void search();
  }, []);

  const set = (change: Partial<ThreadQuery>) => setQuery((q) => ({ ...q, ...change }));
  const id = pasted.trim();
  return (
    <dialog ref={dialog} class="code-dialog thread-finder" aria-labelledby="finder-title" onClose={onClose}>
      <header class="dialog-head">
        <h2 id="finder-title">Threads</h2>
        <button type="button" class="ghost" onClick={() => dialog.current?.close()}>Close</button>
      </header>
      <form class="finder-row" onSubmit={(e) => { e.preventDefault(); if (id) onOpen(id); }}>
        <label>Thread id <input value={pasted} placeholder="thread_…" spellcheck={false} onInput={(e) => setPasted(e.currentTarget.value)} /></label>
        <button type="submit" disabled={!/^thread_[A-Za-z0-9_-]+$/.test(id)}>Open</button>
      </form>
      {canList && <form class="finder-row" onSubmit={(e) => { e.preventDefault(); void search(); }}>
        <label>Metadata <input value={query.metadata} placeholder="key=value" spellcheck={false} onInput={(e) => set({ metadata: e.currentTarget.value })} /></label>
        <label>Created from <input type="date" value={query.from} onInput={(e) => set({ from: e.currentTarget.value })} /></label>
        <label>Created to <input type="date" value={query.to} onInput={(e) => set({ to: e.currentTarget.value })} /></label>
        <button type="submit" class="primary" disabled={loading}>Search</button>
      </form>}
      {error && <p class="error" role="alert">{error}</p>}
      <ul class="thread-results" aria-label="Threads found" aria-busy={loading}>
        {threads.map((t) => (
          <li key={t.id}>
            <button type="button" class="link" onClick={() => onOpen(t.id)}>{t.id}</button>
            <span>{describe(t, recent)}</span>
            <span class="muted">{new Date(t.created_at * 1000).toLocaleString()}</span>
          </li>
        ))}
      </ul>
      {canList && !loading && threads.length === 0 && !error && <p class="empty">No threads match.</p>}
      {more && <button type="button" onClick={() => void search(threads[threads.length - 1]?.id)} disabled={loading}>Load more</button>}
    </dialog>
  );
}
