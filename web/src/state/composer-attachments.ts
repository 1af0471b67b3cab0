import { useState } from 'preact/hooks';
import type { ApiClient } from '../api/client';

export type AttachTool = 'code_interpreter' | 'file_search';

/** A file on its way into the next message: uploading, ready (with its id), or failed with the server's reason. */
export interface PendingAttachment {
  key: number;
  name: string;
  image: boolean;
  progress: number;
  fileId?: string;
  error?: string;
  tools: AttachTool[];
}

// What file_search can index (docs/file-search.md); anything else goes to the code interpreter by default.
const SEARCHABLE = /\.(txt|md|markdown|pdf|docx|html?|json|py|js|ts|java|c|cpp|cs|go|rb|php|sh|tex|css|pptx)$/i;
const IMAGE = /^image\/(png|jpeg|gif|webp)$/;

let nextKey = 0;

export function defaultTools(name: string): AttachTool[] {
  return SEARCHABLE.test(name) ? ['file_search'] : ['code_interpreter'];
}

/** The message's parts and attachments for `POST /threads/{id}/messages`. */
export function messageBody(text: string, ready: PendingAttachment[]) {
  const images = ready.filter((a) => a.image && a.fileId);
  const files = ready.filter((a) => !a.image && a.fileId);
  const content = images.length ? [...(text.trim() ? [{ type: 'text', text }] : []), ...images.map((a) => ({ type: 'image_file', image_file: { file_id: a.fileId } }))] : text;
  const attachments = files.map((a) => ({ file_id: a.fileId!, tools: a.tools.map((type) => ({ type })) }));
  return { role: 'user', content, ...(attachments.length ? { attachments } : {}) };
}

/** Files chosen, dropped or pasted into the composer, uploaded at once so sending does not wait on them. */
export function useComposerAttachments(client: ApiClient) {
  const [items, setItems] = useState<PendingAttachment[]>([]);
  const patch = (key: number, change: Partial<PendingAttachment>) => setItems((list) => list.map((a) => (a.key === key ? { ...a, ...change } : a)));

  async function add(files: File[]) {
    const queued = files.map((file) => ({ file, item: { key: nextKey++, name: file.name || 'pasted-image.png', image: IMAGE.test(file.type), progress: 0, tools: defaultTools(file.name) } }));
    setItems((list) => [...list, ...queued.map((q) => q.item)]);
    for (const { file, item } of queued) {
      try {
        const named = file.name ? file : new File([file], item.name, { type: file.type });
        const uploaded = await client.upload(named, item.image ? 'vision' : 'assistants', (progress) => patch(item.key, { progress }));
        patch(item.key, { fileId: uploaded.id, progress: 1 });
      } catch (err) {
        patch(item.key, { error: `Upload of ${item.name} failed: ${(err as Error).message}` });
      }
    }
  }

  const toggle = (key: number, tool: AttachTool) =>
    setItems((list) => list.map((a) => (a.key === key ? { ...a, tools: a.tools.includes(tool) ? a.tools.filter((t) => t !== tool) : [...a.tools, tool] } : a)));
  const remove = (key: number) => setItems((list) => list.filter((a) => a.key !== key));
  const clear = () => setItems([]);
  const uploading = items.some((a) => !a.fileId && !a.error);
  const ready = items.filter((a) => a.fileId);
  return { items, ready, uploading, add, toggle, remove, clear };
}

export type ComposerAttachments = ReturnType<typeof useComposerAttachments>;
