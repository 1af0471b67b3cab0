import type { Attachment, Message, MessageContent } from './types.js';
import { ID_PREFIX, newId, nowSeconds } from './ids.js';

export interface NewMessage {
  role: 'user' | 'assistant';
  content: string | Array<
    | { type: 'text'; text: string }
    | { type: 'image_file'; image_file: { file_id: string; detail?: 'auto' | 'low' | 'high' } }
    | { type: 'image_url'; image_url: { url: string; detail?: 'auto' | 'low' | 'high' } }
  >;
  attachments?: Attachment[] | null;
  metadata?: Record<string, string>;
  file_ids?: string[];
}

/** Turns request content (a string or parts) into stored content parts. */
export function toContent(content: NewMessage['content']): MessageContent[] {
  if (typeof content === 'string') return [{ type: 'text', text: { value: content, annotations: [] } }];
  return content.map((part): MessageContent =>
    part.type === 'text' ? { type: 'text', text: { value: part.text, annotations: [] } } : part,
  );
}

/**
 * Legacy `file_ids` (v1, and the seed's v2 examples) become attachments usable by both built-in tools, which is
 * what v1 message files were.
 */
export function attachmentsOf(input: NewMessage): Attachment[] | null {
  const given = input.attachments ?? null;
  if (!input.file_ids?.length) return given;
  const legacy: Attachment[] = input.file_ids.map((file_id) => ({
    file_id,
    tools: [{ type: 'code_interpreter' }, { type: 'file_search' }],
  }));
  return [...(given ?? []), ...legacy];
}

/** A completed message as stored when a user (or the API caller) adds it to a thread. */
export function buildMessage(threadId: string, input: NewMessage, extra: Partial<Message> = {}): Message {
  const now = nowSeconds();
  return {
    id: newId(ID_PREFIX.message),
    object: 'thread.message',
    created_at: now,
    thread_id: threadId,
    status: 'completed',
    incomplete_details: null,
    completed_at: now,
    incomplete_at: null,
    role: input.role,
    content: toContent(input.content),
    assistant_id: null,
    run_id: null,
    attachments: attachmentsOf(input),
    metadata: input.metadata ?? {},
    ...extra,
  };
}

/**
 * The text a model is sent for a message whose prompt form depends on its own text alone (text and refusal parts,
 * no attachments); null for any other message, whose prompt form needs its files looked up. Assistant parts
 * that are empty are left out; user parts are kept as written. Stored beside each message, so a prompt over a
 * long thread reads this short column instead of parsing every message.
 */
export function promptText(message: Message): string | null {
  if (message.attachments?.length) return null;
  const texts: string[] = [];
  for (const part of message.content) {
    if (part.type === 'text') texts.push(part.text.value);
    else if (part.type === 'refusal') texts.push(part.refusal);
    else return null;
  }
  return (message.role === 'assistant' ? texts.filter((t) => t !== '') : texts).join('\n');
}
