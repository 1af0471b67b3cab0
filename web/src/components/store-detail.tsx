import { useEffect, useRef, useState } from 'preact/hooks';
import type { VectorStore, VectorStoreFile } from '../../../src/domain/types';
import type { ApiClient } from '../api/client';
import { FileName } from './file-bits';
import { UploadControl, useUploads } from './file-uploads';

interface SearchHit {
  file_id: string;
  filename: string;
  score: number;
  content: Array<{ type: 'text'; text: string }>;
}

const POLL_MS = 1000;

interface Props {
  client: ApiClient;
  storeId: string;
  onDeleted(): void;
  onChanged(): void;
}

/** One vector store: its files with their status (and the reason a file failed), adding and removing files, search. */
export function StoreDetail({ client, storeId, onDeleted, onChanged }: Props) {
  const [store, setStore] = useState<VectorStore | null>(null);
  const [files, setFiles] = useState<VectorStoreFile[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [query, setQuery] = useState('');
  const [hits, setHits] = useState<SearchHit[] | null>(null);
  const [existing, setExisting] = useState('');
  const generation = useRef(0);
  const base = `/vector_stores/${storeId}`;
  const fail = (err: Error) => setError(err.message);

  const refresh = () => {
    const mine = ++generation.current;
    return Promise.all([client.get<VectorStore>(base), client.listAll<VectorStoreFile>(`${base}/files`)]).then(([s, list]) => {
      if (mine !== generation.current) return;
      setStore(s);
      setFiles(list);
    }, fail);
  };
  useEffect(() => void refresh(), [storeId]);
  useEffect(() => {
    if (!files.some((f) => f.status === 'in_progress')) return;
    const timer = setTimeout(() => void refresh().then(onChanged), POLL_MS);
    return () => clearTimeout(timer);
  }, [files]);

  async function add(fileId: string) {
    setError(null);
    try {
      const added = await client.post<VectorStoreFile>(`${base}/files`, { file_id: fileId });
      generation.current++;
      setFiles((list) => [...list.filter((f) => f.id !== added.id), added]);
    } catch (err) {
      fail(err as Error);
    }
  }
  const { uploads, start } = useUploads(client, (file) => add(file.id));

  async function remove(fileId: string) {
    await client.delete(`${base}/files/${fileId}`).catch(fail);
    generation.current++;
    setFiles((list) => list.filter((f) => f.id !== fileId));
  }
  async function removeStore() {
    if (!confirm(`Delete vector store ${store?.name || storeId}?`)) return;
    await client.delete(base).then(onDeleted, fail);
  }
  async function search() {
    setError(null);
    try {
      setHits((await client.post<{ data: SearchHit[] }>(`${base}/search`, { query })).data);
    } catch (err) {
      fail(err as Error);
    }
  }

  return (
    <div class="store-detail">
      <div class="page-head">
        <h2>{store?.name || 'Untitled store'} <code class="muted">{storeId}</code></h2>
        <button type="button" class="danger ghost" onClick={() => void removeStore()}>Delete store</button>
      </div>
      {error && <p class="error" role="alert">{error}</p>}
      <h3>Files</h3>
      <ul class="file-list store-files" aria-label="Store files">
        {files.map((f) => (
          <li key={f.id}>
            <FileName client={client} fileId={f.id} />
            <span class={`badge status-${f.status}`}>{f.status.replace('_', ' ')}</span>
            {f.last_error && <span class="error">{f.last_error.message} ({f.last_error.code})</span>}
            <button type="button" class="ghost small" onClick={() => void remove(f.id)} aria-label={`Remove ${f.id}`}>Remove</button>
          </li>
        ))}
      </ul>
      <div class="finder-row">
        <UploadControl label="Upload and add files" name="Add files to the store" uploads={uploads} onFiles={(list) => void start(list)} />
        <form class="finder-row" onSubmit={(e) => { e.preventDefault(); if (existing.trim()) void add(existing.trim()).then(() => setExisting('')); }}>
          <label>Existing file id <input value={existing} placeholder="file-…" spellcheck={false} onInput={(e) => setExisting(e.currentTarget.value)} /></label>
          <button type="submit" disabled={!existing.trim()}>Add file</button>
        </form>
      </div>
      <h3>Search</h3>
      <form class="finder-row" onSubmit={(e) => { e.preventDefault(); if (query.trim()) void search(); }}>
        <label>Search query <input value={query} onInput={(e) => setQuery(e.currentTarget.value)} /></label>
        <button type="submit" class="primary" disabled={!query.trim()}>Search</button>
      </form>
      {hits && hits.length === 0 && <p class="empty">Nothing found.</p>}
      {hits && hits.length > 0 && (
        <ol class="search-results" aria-label="Search results">
          {hits.map((h, i) => (
            <li key={`${h.file_id}-${i}`}>
              <div class="hit-head"><span class="file-name">{h.filename}</span> <span class="score">{h.score.toFixed(3)}</span></div>
              <p class="hit-text">{h.content.map((c) => c.text).join('\n')}</p>
            </li>
          ))}
        </ol>
      )}
    </div>
  );
}
