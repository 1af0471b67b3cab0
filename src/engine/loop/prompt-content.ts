/**
 * A thread message as the model sees it. Images become image inputs for models that take them and a short
 * placeholder for others; attached files are named, so the model can refer to them and to the tools that read
 * them. Image bytes are read only for messages the truncation keeps.
 */
import type { BlobStore } from '../../blobs/blob-store.js';
import { contentTypeOf } from '../../domain/file-types.js';
import type { FileObject, Message, MessageContent } from '../../domain/types.js';
import type { ChatContentPart, ChatMessage } from '../../providers/chat-model.js';
import type { Store } from '../../store/store.js';
import { promptText } from '../../domain/messages.js';

/** What converting a message needs. Without `blobs`, stored images are described instead of sent. */
export interface ContentContext {
  store: Store;
  project: string;
  blobs?: BlobStore;
  vision: boolean;
}

/** A thread message for the prompt: `chat` is exact for counting tokens, `load` (when there are images) fills in their bytes. */
export interface PromptMessage {
  chat: ChatMessage;
  load?(): Promise<ChatMessage>;
}

/** A message whose prompt form is its text alone (see domain `promptText`). */
export function textPromptMessage(role: Message['role'], text: string): PromptMessage {
  return { chat: { role, content: text } };
}

type Detail = 'auto' | 'low' | 'high';

/** A user content part before image bytes are read: stored images carry their file. */
type PendingPart = ChatContentPart | { type: 'stored_image'; file: FileObject; detail?: Detail };

/** Looks files up once per prompt, however many messages name them. */
export function fileLookup(store: Store, project: string): (id: string) => Promise<FileObject | undefined> {
  const cache = new Map<string, Promise<FileObject | undefined>>();
  return (id) => {
    let found = cache.get(id);
    if (!found) cache.set(id, (found = store.files.get(project, id)));
    return found;
  };
}

/** Converts one thread message; `files` resolves attachment and image file ids. */
export async function promptMessage(
  message: Message,
  ctx: ContentContext,
  files: (id: string) => Promise<FileObject | undefined>,
): Promise<PromptMessage> {
  const text = promptText(message);
  if (text !== null) return textPromptMessage(message.role, text);
  const note = await attachmentNote(message, files);
  if (message.role === 'assistant') {
    const described = [...message.content.map(describeAssistantPart), ...(note ? [note] : [])].filter((t) => t !== '').join('\n');
    return { chat: { role: 'assistant', content: described } };
  }
  const parts: PendingPart[] = [];
  for (const part of message.content) parts.push(await userPart(part, ctx, files));
  if (note) parts.push({ type: 'text', text: note });
  const chat = toUserMessage(parts.map((p) => (p.type === 'stored_image' ? imagePart('', p.detail) : p)));
  if (!parts.some((p) => p.type === 'stored_image')) return { chat };
  return {
    chat,
    load: async () => toUserMessage(await Promise.all(parts.map((p) => (p.type === 'stored_image' ? loadImage(p, ctx) : p)))),
  };
}

async function userPart(part: MessageContent, ctx: ContentContext, files: (id: string) => Promise<FileObject | undefined>): Promise<PendingPart> {
  switch (part.type) {
    case 'text':
      return { type: 'text', text: part.text.value };
    case 'refusal':
      return { type: 'text', text: part.refusal };
    case 'image_url':
      if (ctx.vision) return imagePart(part.image_url.url, part.image_url.detail);
      return { type: 'text', text: `[image ${describeUrl(part.image_url.url)} not shown: this model does not take images]` };
    case 'image_file': {
      const file = await files(part.image_file.file_id);
      if (!file) return { type: 'text', text: `[image ${part.image_file.file_id} not shown: the file was deleted]` };
      if (!ctx.vision || !ctx.blobs) return { type: 'text', text: `[image ${fileLabel(file)} not shown: this model does not take images]` };
      return { type: 'stored_image', file, ...(part.image_file.detail ? { detail: part.image_file.detail } : {}) };
    }
  }
}

function describeAssistantPart(part: MessageContent): string {
  switch (part.type) {
    case 'text':
      return part.text.value;
    case 'refusal':
      return part.refusal;
    case 'image_file':
      // Chat completions take no images from the assistant; naming the file keeps references to it meaningful.
      return `[image ${part.image_file.file_id}]`;
    case 'image_url':
      return `[image ${describeUrl(part.image_url.url)}]`;
  }
}

async function loadImage(part: Extract<PendingPart, { type: 'stored_image' }>, ctx: ContentContext): Promise<ChatContentPart> {
  return imagePart(await storedImageUrl(ctx.blobs!, part.file), part.detail);
}

/** A stored image file as a data URL, the form every vision model takes. */
export async function storedImageUrl(blobs: BlobStore, file: FileObject): Promise<string> {
  const bytes = Buffer.concat(await blobs.read(file.id).toArray());
  const type = contentTypeOf(file.filename) ?? 'application/octet-stream';
  return `data:${type};base64,${bytes.toString('base64')}`;
}

function imagePart(url: string, detail?: Detail): ChatContentPart {
  return { type: 'image_url', image_url: { url, ...(detail ? { detail } : {}) } };
}

/** Plain text stays a string (what every server accepts); parts only when there is an image. */
function toUserMessage(parts: ChatContentPart[]): ChatMessage {
  if (parts.every((p) => p.type === 'text')) return { role: 'user', content: parts.map((p) => p.text).join('\n') };
  return { role: 'user', content: parts };
}

async function attachmentNote(message: Message, files: (id: string) => Promise<FileObject | undefined>): Promise<string | undefined> {
  const attachments = message.attachments ?? [];
  if (attachments.length === 0) return undefined;
  const described = await Promise.all(
    attachments.map(async (a) => {
      const file = await files(a.file_id);
      const tools = a.tools.map((t) => t.type).join(', ');
      return `${file ? fileLabel(file) : a.file_id}${tools ? ` (for ${tools})` : ''}`;
    }),
  );
  return `[attached files: ${described.join('; ')}]`;
}

function fileLabel(file: FileObject): string {
  return `${file.filename} (${file.id})`;
}

function describeUrl(url: string): string {
  return url.startsWith('data:') ? '(inline data)' : url.length > 200 ? `${url.slice(0, 200)}…` : url;
}
