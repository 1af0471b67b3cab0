import type { BlobStore } from '../../blobs/blob-store.js';
import type { MessagePart, ResponseItem } from '../../domain/responses.js';
import type { Store } from '../../store/store.js';
import { fileLookup, storedImageUrl } from '../loop/prompt-content.js';

/** What reading images by file id needs; without `blobs`, or for a model without vision, they are named instead. */
export interface ImageContext {
  store: Store;
  project: string;
  blobs?: BlobStore;
  vision: boolean;
}

/**
 * The items with every `input_image` given by `file_id` turned into a data URL for the model (the stored items
 * keep the file id). An image the model cannot see, or whose file is gone, becomes a note in the text.
 */
export async function inlineStoredImages(items: ResponseItem[], ctx: ImageContext): Promise<ResponseItem[]> {
  if (!items.some((item) => item.type === 'message' && item.content.some((p) => p.type === 'input_image' && p.file_id))) return items;
  const files = fileLookup(ctx.store, ctx.project);
  const part = async (p: MessagePart): Promise<MessagePart> => {
    if (p.type !== 'input_image' || !p.file_id || p.image_url) return p;
    const file = await files(p.file_id);
    if (!file) return { type: 'input_text', text: `[image ${p.file_id} not shown: the file was deleted]` };
    if (!ctx.vision || !ctx.blobs) return { type: 'input_text', text: `[image ${file.filename} (${file.id}) not shown: this model does not take images]` };
    return { ...p, image_url: await storedImageUrl(ctx.blobs, file) };
  };
  return Promise.all(items.map(async (item) => (item.type === 'message' ? { ...item, content: await Promise.all(item.content.map(part)) } : item)));
}
