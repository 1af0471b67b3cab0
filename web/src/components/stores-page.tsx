import { useEffect, useState } from 'preact/hooks';
import type { VectorStore } from '../../../src/domain/types';
import type { ApiClient } from '../api/client';
import { StoreDetail } from './store-detail';

interface Props {
  client: ApiClient;
  storeId: string | null;
  onOpen(storeId: string | null): void;
}

/** The project's vector stores: list and create; one store's files and search beside the list. */
export function StoresPage({ client, storeId, onOpen }: Props) {
  const [stores, setStores] = useState<VectorStore[] | null>(null);
  const [name, setName] = useState('');
  const [error, setError] = useState<string | null>(null);
  const load = () => client.listAll<VectorStore>('/vector_stores', { order: 'desc' }).then(setStores, (err: Error) => setError(err.message));
  useEffect(() => void load(), [client, storeId]);

  async function create() {
    setError(null);
    try {
      const store = await client.post<VectorStore>('/vector_stores', { name: name.trim() || undefined });
      setName('');
      setStores((list) => [store, ...(list ?? [])]);
      onOpen(store.id);
    } catch (err) {
      setError((err as Error).message);
    }
  }

  return (
    <section class="page stores-page" aria-label="Vector stores">
      <div class="stores-list">
        <h2>Vector stores</h2>
        <form class="finder-row" onSubmit={(e) => { e.preventDefault(); void create(); }}>
          <label>New store name <input value={name} onInput={(e) => setName(e.currentTarget.value)} /></label>
          <button type="submit" class="primary">Create vector store</button>
        </form>
        {error && <p class="error" role="alert">{error}</p>}
        {stores === null ? <p class="muted">Loading…</p> : stores.length === 0 && <p class="empty">No vector stores yet.</p>}
        <ul class="store-list" aria-label="Stores">
          {(stores ?? []).map((s) => (
            <li key={s.id} class={s.id === storeId ? 'active' : ''}>
              <button type="button" class="link" onClick={() => onOpen(s.id)}>{s.name || 'Untitled'}</button>
              <code class="muted">{s.id}</code>
              <span class="muted">
                {s.file_counts.completed}/{s.file_counts.total} files indexed{s.file_counts.failed ? `, ${s.file_counts.failed} failed` : ''}
              </span>
            </li>
          ))}
        </ul>
      </div>
      {storeId ? (
        <StoreDetail key={storeId} client={client} storeId={storeId} onDeleted={() => onOpen(null)} onChanged={() => void load()} />
      ) : (
        <p class="empty">Pick a store to see its files and search it.</p>
      )}
    </section>
  );
}
