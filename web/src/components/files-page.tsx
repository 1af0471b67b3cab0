import { useEffect, useState } from 'preact/hooks';
import type { FileObject } from '../../../src/domain/types';
import type { ApiClient } from '../api/client';
import { UploadControl, useUploads } from './file-uploads';

function size(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** The project's files: upload, download and delete. */
export function FilesPage({ client }: { client: ApiClient }) {
  const [files, setFiles] = useState<FileObject[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = () => client.listAll<FileObject>('/files', { order: 'desc' }).then(setFiles, (err: Error) => setError(err.message));
  useEffect(() => void load(), [client]);
  const { uploads, start } = useUploads(client, async (file) => setFiles((list) => [file, ...(list ?? [])]));

  async function remove(file: FileObject) {
    if (!confirm(`Delete ${file.filename}?`)) return;
    try {
      await client.delete(`/files/${file.id}`);
      setFiles((list) => (list ?? []).filter((f) => f.id !== file.id));
    } catch (err) {
      setError((err as Error).message);
    }
  }

  return (
    <section class="page files-page" aria-label="Files">
      <div class="page-head">
        <h2>Files</h2>
        <UploadControl label="Upload files" name="Upload files" uploads={uploads} onFiles={(list) => void start(list)} />
      </div>
      {error && <p class="error" role="alert">{error}</p>}
      {files === null ? (
        <p class="muted">Loading files…</p>
      ) : files.length === 0 ? (
        <p class="empty">No files yet.</p>
      ) : (
        <table class="data-table">
          <thead>
            <tr><th>Name</th><th>Id</th><th>Purpose</th><th>Size</th><th>Created</th><th /></tr>
          </thead>
          <tbody>
            {files.map((f) => (
              <tr key={f.id} data-file-id={f.id}>
                <td class="file-name">{f.filename}</td>
                <td><code>{f.id}</code></td>
                <td>{f.purpose}</td>
                <td>{size(f.bytes)}</td>
                <td>{new Date(f.created_at * 1000).toLocaleString()}</td>
                <td>
                  <div class="row-actions">
                  <button type="button" class="small" onClick={() => void client.download(f.id).catch((err: Error) => setError(err.message))}>Download</button>
                  <button type="button" class="small danger ghost" onClick={() => void remove(f)} aria-label={`Delete ${f.filename}`}>Delete</button>
                  </div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
