import { useEffect, useRef, useState } from 'preact/hooks';
import type { Assistant, Message } from '../../../src/domain/types';
import { pythonSnippet, typescriptSnippet } from '../state/snippets';
import { highlight } from './markdown';

interface Props {
  assistant: Assistant;
  threadId: string | null;
  messages: Message[];
  baseUrl: string;
  onClose(): void;
}

/** "View code": the SDK calls that make this assistant and thread again, against this server. */
export function CodeDialog({ assistant, threadId, messages, baseUrl, onClose }: Props) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [language, setLanguage] = useState<'python' | 'typescript'>('python');
  const [copied, setCopied] = useState(false);
  const input = { baseUrl, assistant, threadId, messages };
  const code = language === 'python' ? pythonSnippet(input) : typescriptSnippet(input);

  useEffect(() => {
    dialog.current?.showModal();
  }, []);

  async function copy() {
    await navigator.clipboard.writeText(code);
    setCopied(true);
    setTimeout(() => setCopied(false), 1500);
  }

  return (
    <dialog ref={dialog} class="code-dialog" aria-labelledby="code-title" onClose={onClose}>
      <header class="dialog-head">
        <h2 id="code-title">View code</h2>
        <div role="tablist" aria-label="Language" class="segmented">
          {(['python', 'typescript'] as const).map((l) => (
            <button type="button" role="tab" aria-selected={language === l} class={language === l ? 'active' : ''} onClick={() => setLanguage(l)} key={l}>
              {l === 'python' ? 'Python' : 'TypeScript'}
            </button>
          ))}
        </div>
        <button type="button" onClick={() => void copy()} disabled={!navigator.clipboard}>
          {copied ? 'Copied' : 'Copy'}
        </button>
        <button type="button" class="ghost" onClick={() => dialog.current?.close()} aria-label="Close">
          ✕
        </button>
      </header>
      <p class="muted">
        Uses the official <code>openai</code> SDK ({language === 'python' ? 'pip install openai' : 'npm install openai'}) with this server as its base URL.
      </p>
      <pre class="code-block snippet" data-language={language}>
        <code class="hljs" dangerouslySetInnerHTML={{ __html: highlight(code, language) }} />
      </pre>
    </dialog>
  );
}
