import { useState } from 'preact/hooks';
import type { FileObject } from '../../../src/domain/types';
import type { ApiClient } from '../api/client';

interface Upload {
  key: number;
  name: string;
  progress: number;
  error?: string;
}

let nextKey = 0;

/** Uploads chosen files one after another, tracking each one's progress until `onUploaded` has handled it. */
export function useUploads(client: ApiClient, onUploaded: (file: FileObject) => Promise<void>) {
  const [uploads, setUploads] = useState<Upload[]>([]);
  const patch = (key: number, change: Partial<Upload>) => setUploads((list) => list.map((u) => (u.key === key ? { ...u, ...change } : u)));

  async function start(files: File[]) {
    const queued = files.map((f) => ({ key: nextKey++, name: f.name, progress: 0, file: f }));
    setUploads((list) => [...list.filter((u) => !u.error), ...queued.map(({ file: _f, ...u }) => u)]);
    for (const { key, file } of queued) {
      try {
        const uploaded = await client.upload(file, 'assistants', (progress) => patch(key, { progress }));
        await onUploaded(uploaded);
        setUploads((list) => list.filter((u) => u.key !== key));
      } catch (err) {
        patch(key, { error: (err as Error).message });
      }
    }
  }
  return { uploads, start };
}

interface Props {
  label: string;
  /** The file input's accessible name, telling this picker from the others. */
  name: string;
  uploads: Upload[];
  onFiles(files: File[]): void;
}

/** A file picker button and one progress bar per upload in flight. */
export function UploadControl({ label, name, uploads, onFiles }: Props) {
  return (
    <div class="upload-control">
      <label class="button small">
        <input
          type="file"
          multiple
          aria-label={name}
          class="visually-hidden"
          onChange={(e) => {
            const files = [...(e.currentTarget.files ?? [])];
            e.currentTarget.value = '';
            if (files.length) onFiles(files);
          }}
        />
        {label}
      </label>
      {uploads.map((u) => (
        <div class="upload" key={u.key}>
          <span class="file-name">{u.name}</span>
          {u.error ? <span class="error">{u.error}</span> : <progress max={1} value={u.progress} aria-label={`Uploading ${u.name}`} />}
        </div>
      ))}
    </div>
  );
}
