import { useEffect, useRef, useState } from 'preact/hooks';
import { highlight } from './markdown';

/** One language's snippet; `language` names the highlighter and the SDK's package manager. */
export interface CodeVariant {
  language: 'python' | 'typescript' | 'javascript';
  label: string;
  code: string;
}

interface Props {
  variants: CodeVariant[];
  onClose(): void;
}

/** "View code": the SDK calls that make what the page shows again, against this server. */
export function CodeDialog({ variants, onClose }: Props) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [language, setLanguage] = useState(variants[0]!.language);
  const [copied, setCopied] = useState(false);
  const code = (variants.find((v) => v.language === language) ?? variants[0]!).code;

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
          {variants.map((v) => (
            <button type="button" role="tab" aria-selected={language === v.language} class={language === v.language ? 'active' : ''} onClick={() => setLanguage(v.language)} key={v.language}>
              {v.label}
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
