import { useMemo } from 'preact/hooks';
import type { Annotation, Message } from '../../../src/domain/types';
import type { ApiClient } from '../api/client';
import { AttachmentStatus } from './attachment-status';
import { FileImage, FileName } from './file-bits';
import { renderMessageText } from './markdown';

function TextPart({ client, value, annotations, idPrefix }: { client: ApiClient; value: string; annotations: Annotation[]; idPrefix: string }) {
  const rendered = useMemo(() => renderMessageText(value, annotations, idPrefix), [value, annotations, idPrefix]);
  return (
    <div class="text-part">
      <div
        class="markdown"
        onClick={(e) => {
          const link = (e.target as HTMLElement).closest<HTMLAnchorElement>('a.file-link');
          if (!link?.dataset.fileId) return;
          e.preventDefault();
          void client.download(link.dataset.fileId);
        }}
        dangerouslySetInnerHTML={{ __html: rendered.html }}
      />
      {rendered.citations.length > 0 && (
        <ol class="footnotes" aria-label="Citations">
          {rendered.citations.map((c) => (
            <li id={`${idPrefix}-fn-${c.n}`} key={c.n}>
              <a href={`#${idPrefix}-ref-${c.n}`} class="footnote-number">[{c.n}]</a> <FileName client={client} fileId={c.fileId} />
              {c.quote && <q class="footnote-quote">{c.quote}</q>}
            </li>
          ))}
        </ol>
      )}
    </div>
  );
}

interface Props {
  client: ApiClient;
  message: Message;
  onShowRun(runId: string): void;
}

/** One message: the user's text as typed, the assistant's as Markdown with citations and file links, code interpreter images inline. */
export function MessageView({ client, message, onShowRun }: Props) {
  const streaming = message.status === 'in_progress';
  return (
    <article class={`message message-${message.role}${streaming ? ' streaming' : ''}`} data-message-id={message.id} aria-busy={streaming}>
      <header class="message-head">
        <span class="role">{message.role === 'user' ? 'User' : 'Assistant'}</span>
        {message.run_id && (
          <button type="button" class="link" onClick={() => onShowRun(message.run_id!)}>
            run details
          </button>
        )}
      </header>
      {message.content.map((part, i) => {
        const key = `${message.id}-${i}`;
        // What a person typed is shown as typed: a `#` line or a `*` is theirs, not Markdown.
        if (part.type === 'text' && message.role === 'user') return <p key={key} class="plain-text">{part.text.value}</p>;
        if (part.type === 'text') return <TextPart key={key} client={client} value={part.text.value} annotations={part.text.annotations} idPrefix={key} />;
        if (part.type === 'image_file') return <FileImage key={key} client={client} fileId={part.image_file.file_id} alt="Image from code interpreter" />;
        if (part.type === 'image_url') return /^https?:/.test(part.image_url.url) ? <img key={key} class="file-image" src={part.image_url.url} alt="" /> : null;
        return <p key={key} class="refusal">{part.refusal}</p>;
      })}
      {streaming && message.content.length === 0 && <span class="typing" aria-label="Writing">…</span>}
      {message.attachments && message.attachments.length > 0 && (
        <ul class="attachments" aria-label="Attached files">
          {message.attachments.map((a) => (
            <li key={a.file_id}>
              <FileName client={client} fileId={a.file_id} />
              <span class="muted">{(a.tools ?? []).map((t) => t.type.replace('_', ' ')).join(', ')}</span>
              {a.tools?.some((t) => t.type === 'file_search') && <AttachmentStatus client={client} threadId={message.thread_id} fileId={a.file_id} />}
            </li>
          ))}
        </ul>
      )}
    </article>
  );
}
