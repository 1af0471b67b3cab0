import { useEffect, useRef, useState } from 'preact/hooks';
import type { ApiClient } from '../api/client';
import { FileName } from './file-bits';
import { UploadControl, useUploads } from './file-uploads';

/** Files the code interpreter gets in /mnt/data for every thread of this assistant. */
export function CodeFiles({ client, fileIds, onAdd, onRemove }: { client: ApiClient; fileIds: string[]; onAdd(id: string): void; onRemove(id: string): void }) {
  const { uploads, start } = useUploads(client, async (file) => onAdd(file.id));
  return (
    <div class="tool-files">
      <ul class="file-list">
        {fileIds.map((id) => (
          <li key={id}>
            <FileName client={client} fileId={id} />
            <button type="button" class="ghost small" onClick={() => onRemove(id)} aria-label={`Remove ${id}`}>
              Remove
            </button>
          </li>
        ))}
      </ul>
      <UploadControl label="Upload files" name="Code interpreter files" uploads={uploads} onFiles={(files) => void start(files)} />
    </div>
  );
}

interface VectorStoreFile {
  id: string;
  status: 'in_progress' | 'completed' | 'cancelled' | 'failed';
  last_error: { message: string } | null;
}

const POLL_MS = 1000;

interface VectorStoreProps {
  client: ApiClient;
  vectorStoreId: string | null;
  storeName: string;
  onVectorStore(id: string | null): void;
}

/** Picks one of the project's vector stores for the assistant, or none (a store is then made on the first upload). */
function StorePicker({ client, value, onChange }: { client: ApiClient; value: string | null; onChange(id: string | null): void }) {
  const [stores, setStores] = useState<Array<{ id: string; name: string | null }>>([]);
  useEffect(() => {
    let live = true;
    client.listAll<{ id: string; name: string | null }>('/vector_stores', { order: 'desc' }).then((list) => live && setStores(list), () => undefined);
    return () => {
      live = false;
    };
  }, [client]);
  return (
    <label>
      Vector store
      <select value={value ?? ''} onChange={(e) => onChange(e.currentTarget.value || null)}>
        <option value="">New store (made on the first upload)</option>
        {value && !stores.some((s) => s.id === value) && <option value={value}>{value}</option>}
        {stores.map((s) => (
          <option value={s.id} key={s.id}>{s.name || 'Untitled'} · {s.id}</option>
        ))}
      </select>
    </label>
  );
}

/** The assistant's vector store: its files and their indexing status; the store is made on the first upload. */
export function VectorStoreFiles({ client, vectorStoreId, storeName, onVectorStore }: VectorStoreProps) {
  const [files, setFiles] = useState<VectorStoreFile[]>([]);
  const [error, setError] = useState<string | null>(null);
  const pending = files.some((f) => f.status === 'in_progress');
  // Several files may be chosen at once: the store made for the first must receive the others too.
  const storeRef = useRef(vectorStoreId);

  // A list read that was under way when a file was added or removed would hide that change: each change (and
  // each read) bumps the generation, and only the newest read is shown.
  const generation = useRef(0);
  const change = (update: (list: VectorStoreFile[]) => VectorStoreFile[]) => {
    generation.current++;
    setFiles(update);
  };
  const refresh = (id: string) => {
    const mine = ++generation.current;
    return client.listAll<VectorStoreFile>(`/vector_stores/${id}/files`).then(
      (list) => mine === generation.current && setFiles(list),
      (err: Error) => setError(err.message),
    );
  };

  useEffect(() => {
    storeRef.current = vectorStoreId;
    change(() => []);
    if (vectorStoreId) void refresh(vectorStoreId);
  }, [vectorStoreId]);

  useEffect(() => {
    if (!vectorStoreId || !pending) return;
    const timer = setTimeout(() => void refresh(vectorStoreId), POLL_MS);
    return () => clearTimeout(timer);
  }, [vectorStoreId, files]);

  const { uploads, start } = useUploads(client, async (file) => {
    let storeId = storeRef.current;
    if (!storeId) {
      storeId = (await client.post<{ id: string }>('/vector_stores', { name: storeName })).id;
      storeRef.current = storeId;
      onVectorStore(storeId);
    }
    const added = await client.post<VectorStoreFile>(`/vector_stores/${storeId}/files`, { file_id: file.id });
    change((list) => [...list.filter((f) => f.id !== added.id), added]);
  });

  async function remove(id: string) {
    await client.delete(`/vector_stores/${vectorStoreId}/files/${id}`);
    change((list) => list.filter((f) => f.id !== id));
  }

  return (
    <div class="tool-files">
      <StorePicker client={client} value={vectorStoreId} onChange={onVectorStore} />
      <ul class="file-list">
        {files.map((f) => (
          <li key={f.id}>
            <FileName client={client} fileId={f.id} />
            <span class={`badge status-${f.status}`} title={f.last_error?.message}>{f.status.replace('_', ' ')}</span>
            <button type="button" class="ghost small" onClick={() => void remove(f.id).catch((err: Error) => setError(err.message))} aria-label={`Remove ${f.id}`}>
              Remove
            </button>
          </li>
        ))}
      </ul>
      {error && <p class="error">{error}</p>}
      <UploadControl label="Upload files" name="File search files" uploads={uploads} onFiles={(list) => void start(list)} />
    </div>
  );
}
