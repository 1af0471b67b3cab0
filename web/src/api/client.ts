import type { FileObject, ListPage } from '../../../src/domain/types';
import { appRoot } from '../state/route';
import { readSse, type SseEvent } from './sse';

/** An error reply of the API, with the fields of its `{error: {...}}` body. */
export class ApiRequestError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code: string | null = null,
    readonly param: string | null = null,
  ) {
    super(message);
    this.name = 'ApiRequestError';
  }
}

type Query = Record<string, string | number | undefined | string[]>;

/** The base of the public API, relative to the page so the playground also works behind a path prefix. */
export function apiBase(): string {
  return new URL('v1', new URL(appRoot(), location.href)).href.replace(/\/$/, '');
}

async function errorOf(response: Response): Promise<ApiRequestError> {
  const text = await response.text();
  try {
    const body = JSON.parse(text) as { error?: { message?: string; code?: string | null; param?: string | null } };
    if (body.error?.message) return new ApiRequestError(response.status, body.error.message, body.error.code ?? null, body.error.param ?? null);
  } catch {
    // Not JSON (a proxy's page, say): fall through to the status line.
  }
  return new ApiRequestError(response.status, `${response.status} ${response.statusText || 'error'}`);
}

function withQuery(path: string, query: Query | undefined): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (Array.isArray(value)) for (const v of value) params.append(key, v);
    else if (value !== undefined) params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

function save(blobUrl: string, filename: string): void {
  const link = document.createElement('a');
  link.href = blobUrl;
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
}

/** A thin client of the public HTTP API, carrying the key from local storage on every request. */
export class ApiClient {
  private readonly blobUrls = new Map<string, Promise<string>>();
  private readonly fileInfos = new Map<string, Promise<FileObject>>();

  constructor(
    private readonly apiKey: () => string | null,
    readonly base = apiBase(),
  ) {}

  headers(json = true): Record<string, string> {
    const key = this.apiKey();
    return { ...(json ? { 'content-type': 'application/json' } : {}), ...(key ? { authorization: `Bearer ${key}` } : {}) };
  }

  async request<T>(method: string, path: string, body?: unknown, query?: Query): Promise<T> {
    const response = await fetch(this.base + withQuery(path, query), {
      method,
      headers: this.headers(body !== undefined),
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok) throw await errorOf(response);
    return (await response.json()) as T;
  }

  get<T>(path: string, query?: Query): Promise<T> {
    return this.request<T>('GET', path, undefined, query);
  }

  post<T>(path: string, body: unknown = {}): Promise<T> {
    return this.request<T>('POST', path, body);
  }

  delete<T>(path: string): Promise<T> {
    return this.request<T>('DELETE', path);
  }

  /** Every item of a list endpoint, oldest first, following `after` cursors. */
  async listAll<T extends { id: string }>(path: string, query: Query = {}): Promise<T[]> {
    const out: T[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await this.get<ListPage<T>>(path, { limit: 100, order: 'asc', ...query, after });
      out.push(...page.data);
      if (!page.has_more || page.data.length === 0) return out;
      after = page.last_id ?? page.data[page.data.length - 1]!.id;
    }
  }

  /** POSTs with `stream: true` and yields the server-sent events until `[DONE]`. */
  async *stream(path: string, body: Record<string, unknown>, signal?: AbortSignal): AsyncGenerator<SseEvent> {
    const response = await fetch(this.base + path, {
      method: 'POST',
      headers: { ...this.headers(), accept: 'text/event-stream' },
      body: JSON.stringify({ ...body, stream: true }),
      signal,
    });
    if (!response.ok) throw await errorOf(response);
    if (!response.body) throw new ApiRequestError(response.status, 'The server sent no event stream.');
    for await (const event of readSse(response.body)) {
      if (event.data === '[DONE]') return;
      yield event;
    }
  }

  /** Uploads a file with multipart/form-data; XMLHttpRequest rather than fetch because only it reports upload progress. */
  upload(file: File, purpose: string, onProgress: (fraction: number) => void): Promise<FileObject> {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open('POST', `${this.base}/files`);
      for (const [name, value] of Object.entries(this.headers(false))) xhr.setRequestHeader(name, value);
      xhr.upload.onprogress = (e) => {
        if (e.lengthComputable) onProgress(e.loaded / e.total);
      };
      xhr.onload = () => {
        const response = new Response(xhr.responseText, { status: xhr.status, statusText: xhr.statusText });
        if (xhr.status >= 200 && xhr.status < 300) resolve(JSON.parse(xhr.responseText) as FileObject);
        else void errorOf(response).then(reject);
      };
      xhr.onerror = () => reject(new ApiRequestError(0, `Upload of ${file.name} failed: network error.`));
      const form = new FormData();
      form.append('purpose', purpose);
      form.append('file', file, file.name);
      xhr.send(form);
    });
  }

  /** A file's metadata, fetched once per page load. */
  fileInfo(id: string): Promise<FileObject> {
    let hit = this.fileInfos.get(id);
    if (!hit) {
      hit = this.get<FileObject>(`/files/${encodeURIComponent(id)}`);
      hit.catch(() => this.fileInfos.delete(id));
      this.fileInfos.set(id, hit);
    }
    return hit;
  }

  /** A blob: URL of a file's bytes. `<img src>` cannot send the auth header, so the bytes are fetched here. */
  fileBlobUrl(id: string): Promise<string> {
    return this.blobUrl(`${this.base}/files/${encodeURIComponent(id)}/content`);
  }

  /** A blob: URL of what a URL of this API answers (an image a tool made, say), fetched once with the key. */
  blobUrl(url: string): Promise<string> {
    let hit = this.blobUrls.get(url);
    if (!hit) {
      hit = fetch(url, { headers: this.headers(false) }).then(async (response) => {
        if (!response.ok) throw await errorOf(response);
        return URL.createObjectURL(await response.blob());
      });
      hit.catch(() => this.blobUrls.delete(url));
      this.blobUrls.set(url, hit);
    }
    return hit;
  }

  /** Saves a file to the user's disk under its stored name. */
  async download(id: string): Promise<void> {
    const [url, info] = await Promise.all([this.fileBlobUrl(id), this.fileInfo(id)]);
    save(url, info.filename.split('/').pop() || id);
  }

  /** Saves what a URL of this API answers (a container file, say) under the given name. */
  async downloadUrl(url: string, filename: string): Promise<void> {
    save(await this.blobUrl(url), filename.split('/').pop() || 'download');
  }
}
