import { useEffect, useState } from 'preact/hooks';
import type { ApiClient } from '../api/client';

/** A file's name, looked up by id (the id is shown until the lookup answers, or if it fails). */
export function FileName({ client, fileId }: { client: ApiClient; fileId: string }) {
  const [name, setName] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    client.fileInfo(fileId).then((f) => live && setName(f.filename), () => live && setName(null));
    return () => {
      live = false;
    };
  }, [client, fileId]);
  return <span class="file-name" title={fileId}>{name ?? fileId}</span>;
}

/** An image file of the API. `<img src>` cannot carry the auth header, so the bytes come through fetch as a blob URL. */
export function FileImage({ client, fileId, alt }: { client: ApiClient; fileId: string; alt: string }) {
  const [src, setSrc] = useState<string | null>(null);
  const [failed, setFailed] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    client.fileBlobUrl(fileId).then((url) => live && setSrc(url), (err: Error) => live && setFailed(err.message));
    return () => {
      live = false;
    };
  }, [client, fileId]);
  if (failed) return <p class="error">Image {fileId} could not be loaded: {failed}</p>;
  if (!src) return <div class="image-placeholder" aria-busy="true">Loading image…</div>;
  return (
    <a
      href="#"
      class="image-link"
      title="Download"
      onClick={(e) => {
        e.preventDefault();
        void client.download(fileId);
      }}
    >
      <img class="file-image" src={src} alt={alt} data-file-id={fileId} />
    </a>
  );
}
