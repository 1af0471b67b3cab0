import { useEffect, useMemo, useState } from 'preact/hooks';
import type { FileSearchCallItem, FunctionCallItem, FunctionCallOutputItem, MessageItem } from '../../../src/domain/responses';
import type { ApiClient } from '../api/client';
import { outputOf, type AnyItem, type CodeInterpreterCallItem } from '../state/conversation-view';
import { highlight, renderResponseText, type ResponseAnnotation } from './markdown';

function pretty(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

function outputText(output: FunctionCallOutputItem['output']): string {
  return typeof output === 'string' ? output : output.map((p) => (p.type === 'input_text' ? p.text : '[image]')).join('');
}

/** An `output_text` part: Markdown, with its file citations as numbered footnotes naming the file (a container's file can be downloaded). */
function OutputText({ client, text, annotations, idPrefix }: { client: ApiClient; text: string; annotations: ResponseAnnotation[]; idPrefix: string }) {
  const rendered = useMemo(() => renderResponseText(text, annotations, idPrefix), [text, annotations, idPrefix]);
  return (
    <div class="text-part">
      <div
        class="markdown"
        dangerouslySetInnerHTML={{ __html: rendered.html }}
        onClick={(e) => {
          const link = (e.target as HTMLElement).closest<HTMLAnchorElement>('a.file-link[data-container-id]');
          if (!link) return;
          e.preventDefault();
          const { containerId, fileId } = link.dataset;
          const name = rendered.citations.find((c) => c.fileId === fileId)?.filename ?? fileId!;
          void client.downloadUrl(`${client.base}/containers/${containerId}/files/${fileId}/content`, name);
        }}
      />
      {rendered.citations.length > 0 && (
        <ol class="footnotes" aria-label="Citations">
          {rendered.citations.map((c) => (
            <li id={`${idPrefix}-fn-${c.n}`} key={c.n}>
              <a href={`#${idPrefix}-ref-${c.n}`} class="footnote-number">[{c.n}]</a> <span class="file-name" title={c.fileId}>{c.filename ?? c.fileId}</span>
              {c.containerId && (
                <button type="button" class="link" onClick={() => void client.downloadUrl(`${client.base}/containers/${c.containerId}/files/${c.fileId}/content`, c.filename ?? c.fileId)}>
                  download
                </button>
              )}
            </li>
          ))}
        </ol>
      )}
    </div>
  );
}

/** A message item in the chat: the person's text as typed, the model's as Markdown with citations. */
export function MessageItemView({ client, item }: { client: ApiClient; item: MessageItem }) {
  const streaming = item.status === 'in_progress';
  const mine = item.role !== 'assistant';
  return (
    <article class={`message message-${mine ? 'user' : 'assistant'}${streaming ? ' streaming' : ''}`} data-item-id={item.id} aria-busy={streaming}>
      <header class="message-head">
        <span class="role">{item.role === 'assistant' ? 'Model' : item.role}</span>
      </header>
      {item.content.map((part, i) => {
        const key = `${item.id}-${i}`;
        if (part.type === 'input_text') return <p key={key} class="plain-text">{part.text}</p>;
        if (part.type === 'output_text') return <OutputText key={key} client={client} text={part.text} annotations={part.annotations as ResponseAnnotation[]} idPrefix={key} />;
        if (part.type === 'refusal') return <p key={key} class="refusal">{part.refusal}</p>;
        return part.image_url && /^https?:/.test(part.image_url) ? <img key={key} class="file-image" src={part.image_url} alt="" /> : <p key={key} class="muted">[image {part.file_id}]</p>;
      })}
      {streaming && item.content.length === 0 && <span class="typing" aria-label="Writing">…</span>}
    </article>
  );
}

/** A tool item in the chat, in one line: what was called and how it went; the details are in the response panel. A chart the code drew is shown below it. */
export function ToolItemLine({ client, item }: { client: ApiClient; item: AnyItem }) {
  const status = typeof item.status === 'string' ? item.status : undefined;
  let what: string;
  if (item.type === 'function_call') what = `called ${(item as FunctionCallItem).name}`;
  else if (item.type === 'function_call_output') what = `output for ${(item as FunctionCallOutputItem).call_id}: ${outputText((item as FunctionCallOutputItem).output)}`;
  else if (item.type === 'file_search_call') what = `searched files for ${((item as FileSearchCallItem).queries ?? []).map((q) => `“${q}”`).join(', ')}`;
  else if (item.type === 'code_interpreter_call') what = 'ran code';
  else what = item.type.replace(/_/g, ' ');
  const images = item.type === 'code_interpreter_call' ? ((item as CodeInterpreterCallItem).outputs ?? []).flatMap((o) => (o.type === 'image' ? [o.url] : [])) : [];
  const line = (
    <p class="tool-line" data-item-type={item.type}>
      <span class="tool-line-what">{what}</span>
      {status && item.type !== 'function_call_output' && <span class={`badge status-${status}`}>{status.replace('_', ' ')}</span>}
    </p>
  );
  if (images.length === 0) return line;
  return (
    <div class="tool-item">
      {line}
      {images.map((url, i) => <OutputImage key={i} client={client} url={url} />)}
    </div>
  );
}

/** An image output of the code interpreter: by URL; a URL of this API needs the key, so it is fetched as a blob. */
function OutputImage({ client, url }: { client: ApiClient; url: string }) {
  const ours = url.startsWith(client.base);
  const [src, setSrc] = useState<string | null>(ours ? null : url);
  useEffect(() => {
    if (!ours) return;
    let live = true;
    client.blobUrl(url).then((blob) => live && setSrc(blob), () => live && setSrc(null));
    return () => {
      live = false;
    };
  }, [client, url]);
  if (!/^(https?:|data:image\/|blob:)/.test(src ?? '')) return <p class="muted">image: <code>{url}</code></p>;
  return <img class="file-image" src={src!} alt="Code interpreter output image" />;
}

function CodeInterpreterDetail({ client, item }: { client: ApiClient; item: CodeInterpreterCallItem }) {
  return (
    <>
      {item.container_id && <p class="muted">container <code>{item.container_id}</code></p>}
      <pre class="code-block">
        <code class="hljs" dangerouslySetInnerHTML={{ __html: highlight(item.code ?? '', 'python') }} />
      </pre>
      {(item.outputs ?? []).map((output, i) =>
        output.type === 'logs' ? <pre class="logs" key={i} aria-label="Output logs">{output.logs}</pre> : <OutputImage key={i} client={client} url={output.url} />,
      )}
    </>
  );
}

function FileSearchDetail({ item }: { item: FileSearchCallItem }) {
  const results = item.results ?? [];
  return (
    <>
      <p class="muted">queries: {item.queries.map((q) => `“${q}”`).join(', ')}</p>
      {results.length === 0 ? (
        <p class="muted">{item.results ? 'No results.' : 'Results not included.'}</p>
      ) : (
        <ol class="search-results">
          {results.map((r, i) => (
            <li key={i}>
              <span class="file-name" title={r.file_id}>{r.filename}</span> <span class="score" title="score">{r.score.toFixed(3)}</span>
              <blockquote>{r.text.length > 400 ? `${r.text.slice(0, 400)}…` : r.text}</blockquote>
            </li>
          ))}
        </ol>
      )}
    </>
  );
}

const TITLES: Record<string, string> = { message: 'Message', function_call: 'Function call', file_search_call: 'File search', code_interpreter_call: 'Code interpreter' };

/** One output item of a response, shown like a run step: what the model did, its inputs and outputs, its status. */
export function ItemDetail({ client, item, items }: { client: ApiClient; item: AnyItem; items: AnyItem[] }) {
  const status = typeof item.status === 'string' ? item.status : undefined;
  let body;
  if (item.type === 'message') {
    const annotations = (item as MessageItem).content.flatMap((p) => (p.type === 'output_text' ? (p.annotations as ResponseAnnotation[]) : []));
    body = (
      <p class="muted">
        wrote <code>{item.id}</code>
        {annotations.length > 0 && ` with ${annotations.length} citation${annotations.length === 1 ? '' : 's'}`}
      </p>
    );
  } else if (item.type === 'function_call') {
    const call = item as FunctionCallItem;
    const output = outputOf(items, call.call_id);
    body = (
      <>
        <h4>
          <code>{call.name}</code> <span class="muted">{call.call_id}</span>
        </h4>
        <pre class="arguments">{pretty(call.arguments)}</pre>
        <p class="muted">Output</p>
        <pre class="logs">{output ? outputText(output.output) : '(waiting for output)'}</pre>
      </>
    );
  } else if (item.type === 'file_search_call') body = <FileSearchDetail item={item as FileSearchCallItem} />;
  else if (item.type === 'code_interpreter_call') body = <CodeInterpreterDetail client={client} item={item as CodeInterpreterCallItem} />;
  else body = <pre class="logs">{JSON.stringify(item, null, 2)}</pre>;
  return (
    <li class={`step status-${status ?? 'completed'}`} data-item-type={item.type}>
      <header class="step-head">
        <strong>{TITLES[item.type] ?? item.type}</strong>
        {status && <span class={`badge status-${status}`}>{status.replace('_', ' ')}</span>}
      </header>
      <div class="tool-call-detail">{body}</div>
    </li>
  );
}
