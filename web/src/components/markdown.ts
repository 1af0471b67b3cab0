import hljs from 'highlight.js/lib/core';
import bash from 'highlight.js/lib/languages/bash';
import javascript from 'highlight.js/lib/languages/javascript';
import json from 'highlight.js/lib/languages/json';
import python from 'highlight.js/lib/languages/python';
import sql from 'highlight.js/lib/languages/sql';
import typescript from 'highlight.js/lib/languages/typescript';
import xml from 'highlight.js/lib/languages/xml';
import yaml from 'highlight.js/lib/languages/yaml';
import { Marked, type Tokens } from 'marked';
import type { Annotation } from '../../../src/domain/types';

for (const [name, language] of Object.entries({ bash, javascript, json, python, sql, typescript, xml, yaml })) hljs.registerLanguage(name, language);
hljs.registerAliases(['sh', 'shell'], { languageName: 'bash' });
hljs.registerAliases(['js'], { languageName: 'javascript' });
hljs.registerAliases(['ts'], { languageName: 'typescript' });
hljs.registerAliases(['py'], { languageName: 'python' });
hljs.registerAliases(['html'], { languageName: 'xml' });

// Markers put in place of annotation text before parsing; private-use characters never occur in model output
// that matters, and Markdown leaves them alone.
const CITE_OPEN = '\uE000';
const CITE_CLOSE = '\uE001';
const FILE_SCHEME = 'assistd-file:';
const CONTAINER_FILE_SCHEME = 'assistd-container-file:';

function containerFileLink(ref: string, text: string): string {
  const [containerId, fileId] = ref.split('/').map(escapeHtml);
  return `<a href="#" class="file-link" data-container-id="${containerId}" data-file-id="${fileId}" title="Download">${text}</a>`;
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Links the model writes may only go to the web or to mail; anything else (javascript:, data:) is shown as text. */
function safeHref(href: string): boolean {
  return /^(https?:|mailto:|#)/i.test(href);
}

/** Syntax-highlighted HTML of code in a known language; escaped plain text otherwise. */
export function highlight(code: string, lang: string | undefined): string {
  const language = lang && hljs.getLanguage(lang) ? lang : undefined;
  if (!language) return escapeHtml(code);
  return hljs.highlight(code, { language, ignoreIllegals: true }).value;
}

const marked = new Marked({
  gfm: true,
  breaks: false,
  renderer: {
    // Raw HTML in a reply is shown, never run.
    html({ text }) {
      return escapeHtml(text);
    },
    code({ text, lang }: Tokens.Code) {
      const language = (lang ?? '').trim().split(/\s+/)[0]?.toLowerCase();
      const label = language ? `<span class="code-lang">${escapeHtml(language)}</span>` : '';
      return `<pre class="code-block">${label}<code class="hljs">${highlight(text, language)}</code></pre>`;
    },
    link({ href, title, tokens }: Tokens.Link) {
      const text = this.parser.parseInline(tokens);
      if (href.startsWith(FILE_SCHEME)) {
        const id = escapeHtml(href.slice(FILE_SCHEME.length));
        return `<a href="#" class="file-link" data-file-id="${id}" title="Download">${text}</a>`;
      }
      if (href.startsWith(CONTAINER_FILE_SCHEME)) return containerFileLink(href.slice(CONTAINER_FILE_SCHEME.length), text);
      if (href.startsWith('sandbox:')) return `<span class="file-pending" title="${escapeHtml(href)}">${text}</span>`;
      if (!safeHref(href)) return text;
      const titleAttr = title ? ` title="${escapeHtml(title)}"` : '';
      return `<a href="${escapeHtml(href)}"${titleAttr} target="_blank" rel="noopener noreferrer">${text}</a>`;
    },
    image({ href, text }: Tokens.Image) {
      if (!/^https?:/i.test(href)) return escapeHtml(text);
      return `<img src="${escapeHtml(href)}" alt="${escapeHtml(text)}" loading="lazy">`;
    },
  },
});

/** One numbered footnote: the cited file and, when the server gave one, the quoted passage. */
export interface Citation {
  n: number;
  fileId: string;
  /** The file's name when the annotation gives it (Responses citations do). */
  filename?: string;
  /** The container a cited file is in (a file the code interpreter wrote). */
  containerId?: string;
  quote?: string;
}

export interface RenderedText {
  html: string;
  citations: Citation[];
}

/** Where an annotation's text is: at its indices when they match, else its first occurrence from `from`. */
function locate(value: string, annotation: Annotation, from: number): number {
  if (value.slice(annotation.start_index, annotation.end_index) === annotation.text && annotation.start_index >= from) return annotation.start_index;
  return annotation.text ? value.indexOf(annotation.text, from) : -1;
}

/** Replaces annotation text with markers: citations become footnote numbers, `sandbox:` paths become file ids. */
function substituteAnnotations(value: string, annotations: Annotation[]): { text: string; citations: Citation[] } {
  const citations: Citation[] = [];
  const numbers = new Map<string, number>();
  let out = '';
  let cursor = 0;
  for (const annotation of [...annotations].sort((a, b) => a.start_index - b.start_index)) {
    const at = locate(value, annotation, cursor);
    if (at === -1) continue;
    out += value.slice(cursor, at);
    if (annotation.type === 'file_citation') {
      const key = `${annotation.file_citation.file_id}\n${annotation.file_citation.quote ?? ''}`;
      let n = numbers.get(key);
      if (n === undefined) {
        n = citations.length + 1;
        numbers.set(key, n);
        citations.push({ n, fileId: annotation.file_citation.file_id, ...(annotation.file_citation.quote ? { quote: annotation.file_citation.quote } : {}) });
      }
      out += `${CITE_OPEN}${n}${CITE_CLOSE}`;
    } else {
      out += `${FILE_SCHEME}${annotation.file_path.file_id}`;
    }
    cursor = at + annotation.text.length;
  }
  return { text: out + value.slice(cursor), citations };
}

/** A citation of the Responses API: a file cited at `index` (in code points), or a container file over a span. */
export type ResponseAnnotation =
  | { type: 'file_citation'; file_id: string; filename: string; index: number }
  | { type: 'container_file_citation'; file_id: string; filename: string; container_id: string; start_index: number; end_index: number }
  | { type: string };

/**
 * A reply's citations, numbered by file, with markers where the text cites them. A container file citation whose
 * span is a `sandbox:` link target (as this server and the hosted API write them) makes that link download the
 * file, and its marker goes after the link rather than inside its target.
 */
function insertCitations(value: string, annotations: ResponseAnnotation[]): { text: string; citations: Citation[] } {
  const chars = Array.from(value);
  const citations: Citation[] = [];
  const numbers = new Map<string, number>();
  const edits: Array<{ at: number; remove: number; insert: string }> = [];
  for (const annotation of annotations) {
    let at = 'index' in annotation ? annotation.index : 'end_index' in annotation ? annotation.end_index : undefined;
    if (at === undefined || !('file_id' in annotation)) continue;
    let n = numbers.get(annotation.file_id);
    if (n === undefined) {
      n = citations.length + 1;
      numbers.set(annotation.file_id, n);
      citations.push({ n, fileId: annotation.file_id, filename: annotation.filename, ...('container_id' in annotation ? { containerId: annotation.container_id } : {}) });
    }
    at = Math.min(Math.max(0, at), chars.length);
    if ('container_id' in annotation && chars.slice(annotation.start_index, at).join('').startsWith('sandbox:')) {
      edits.push({ at: annotation.start_index, remove: at - annotation.start_index, insert: `${CONTAINER_FILE_SCHEME}${annotation.container_id}/${annotation.file_id}` });
      if (chars[at] === ')') at += 1;
    }
    edits.push({ at, remove: 0, insert: `${CITE_OPEN}${n}${CITE_CLOSE}` });
  }
  // From the end, so earlier positions still count in the original text.
  for (const edit of edits.sort((a, b) => b.at - a.at)) chars.splice(edit.at, edit.remove, edit.insert);
  return { text: chars.join(''), citations };
}

/** Renders a Responses `output_text` as Markdown, its citations as footnote references. */
export function renderResponseText(value: string, annotations: ResponseAnnotation[], idPrefix: string): RenderedText {
  const { text, citations } = insertCitations(value, annotations);
  return { html: toHtml(text, idPrefix), citations };
}

/** Renders a message's text as Markdown, with citations as footnote references and file paths as download links. */
export function renderMessageText(value: string, annotations: Annotation[], idPrefix: string): RenderedText {
  const { text, citations } = substituteAnnotations(value, annotations);
  return { html: toHtml(text, idPrefix), citations };
}

function toHtml(text: string, idPrefix: string): string {
  let html = marked.parse(text, { async: false }) as string;
  html = html.replace(new RegExp(`${CITE_OPEN}(\\d+)${CITE_CLOSE}`, 'g'), (_m, n: string) =>
    `<sup class="cite"><a href="#${idPrefix}-fn-${n}" id="${idPrefix}-ref-${n}" aria-label="citation ${n}">[${n}]</a></sup>`);
  html = html.replace(new RegExp(`${CONTAINER_FILE_SCHEME}(cntr_\\w+/cfile_\\w+)`, 'g'), (_m, ref: string) => containerFileLink(ref, 'download'));
  html = html.replace(new RegExp(`${FILE_SCHEME}(file-[\\w-]+)`, 'g'), (_m, id: string) =>
    `<a href="#" class="file-link" data-file-id="${id}" title="Download">download</a>`);
  return html;
}
