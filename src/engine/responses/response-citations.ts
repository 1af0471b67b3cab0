import type { FileCitationAnnotation } from '../../domain/responses.js';
import { codePoints } from '../../lib/code-points.js';
import { citationAnnotations, openCitationFrom, type CitableCall } from '../../tools/file-citations.js';

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

/**
 * Turns the model's answer after file_search calls into the hosted Responses shape: the citation markers the
 * model copied (`【call:result†file】`, the same markers runs use) are taken out of the text and become
 * `file_citation` annotations whose `index` is where the marker stood in the text that remains (code points).
 * Fed delta by delta, it holds back only a marker still being written, so streamed text and annotations equal
 * the stored ones.
 */
export class CitationText {
  private held = '';
  /** Code points of cleaned text given out so far. */
  private written = 0;
  private readonly filenames = new Map<string, string>();

  /** `calls` are the response's file_search calls so far, in order (markers number them from 0). */
  constructor(private readonly calls: CitableCall[]) {
    for (const call of calls) for (const r of call.results) this.filenames.set(r.file_id, r.file_name);
  }

  /** The cleaned text that is safe to send after `delta`, and its annotations. */
  push(delta: string): { text: string; annotations: FileCitationAnnotation[] } {
    this.held += delta;
    let cut = openCitationFrom(this.held);
    // Half a surrogate pair waits for its other half, so indexes count it as one character.
    if (cut > 0 && cut === this.held.length && isHighSurrogate(this.held.charCodeAt(cut - 1))) cut--;
    const ready = this.held.slice(0, cut);
    this.held = this.held.slice(cut);
    return this.clean(ready);
  }

  /** What is still held back (the answer ended): an unfinished marker stays as text. */
  flush(): { text: string; annotations: FileCitationAnnotation[] } {
    const rest = this.held;
    this.held = '';
    return this.clean(rest);
  }

  private clean(text: string): { text: string; annotations: FileCitationAnnotation[] } {
    let out = '';
    let pos = 0;
    const annotations: FileCitationAnnotation[] = [];
    for (const found of citationAnnotations(text, this.calls)) {
      if (found.type !== 'file_citation') continue;
      const at = text.indexOf(found.text, pos);
      out += text.slice(pos, at);
      pos = at + found.text.length;
      const fileId = found.file_citation.file_id;
      annotations.push({ type: 'file_citation', file_id: fileId, filename: this.filenames.get(fileId) ?? '', index: this.written + codePoints(out) });
    }
    out += text.slice(pos);
    this.written += codePoints(out);
    return { text: out, annotations };
  }
}

