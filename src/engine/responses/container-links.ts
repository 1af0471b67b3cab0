import type { ContainerFileObject } from '../../domain/containers.js';
import type { ContainerFileCitationAnnotation, OutputAnnotation } from '../../domain/responses.js';
import { codePoints } from '../../lib/code-points.js';
import { openLinkFrom, sandboxLinkAnnotations } from '../../tools/sandbox-links.js';

/** Turns a streamed answer into text and annotations, holding back only what may still become one. */
export interface TextAnnotator {
  push(delta: string): { text: string; annotations: OutputAnnotation[] };
  /** What is still held back, once the answer ended. */
  flush(): { text: string; annotations: OutputAnnotation[] };
}

/**
 * Cites container files where the answer links them as `sandbox:/mnt/data/<name>` (the tool's description asks
 * for such links): the text stays as written, and each link gets a `container_file_citation` spanning it
 * (indexes in code points). A link still being written is held back, so streamed annotations equal the stored.
 */
export class ContainerLinkText implements TextAnnotator {
  private held = '';
  private written = 0;

  /** `files` by name under /mnt/data; read as the text comes, so files saved meanwhile count. */
  constructor(private readonly files: ReadonlyMap<string, ContainerFileObject>) {}

  push(delta: string): { text: string; annotations: ContainerFileCitationAnnotation[] } {
    this.held += delta;
    let cut = openLinkFrom(this.held);
    // Half a surrogate pair waits for its other half, so indexes count it as one character.
    if (cut > 0 && cut === this.held.length && /[\ud800-\udbff]/.test(this.held[cut - 1]!)) cut--;
    const ready = this.held.slice(0, cut);
    this.held = this.held.slice(cut);
    return this.annotate(ready);
  }

  flush(): { text: string; annotations: ContainerFileCitationAnnotation[] } {
    const rest = this.held;
    this.held = '';
    return this.annotate(rest);
  }

  private annotate(text: string): { text: string; annotations: ContainerFileCitationAnnotation[] } {
    const ids = new Map([...this.files].map(([name, file]) => [name, file.id]));
    const byId = new Map([...this.files.values()].map((file) => [file.id, file]));
    const annotations = sandboxLinkAnnotations(text, ids).flatMap((a): ContainerFileCitationAnnotation[] => {
      const file = a.type === 'file_path' ? byId.get(a.file_path.file_id) : undefined;
      if (!file || a.type !== 'file_path') return [];
      const filename = file.path.split('/').pop() ?? file.id;
      return [{ type: 'container_file_citation', container_id: file.container_id, file_id: file.id, filename, start_index: this.written + a.start_index, end_index: this.written + a.end_index }];
    });
    this.written += codePoints(text);
    return { text, annotations };
  }
}

/** One annotator after the other: the second reads the text the first lets through. */
export function chainAnnotators(first: TextAnnotator, second: TextAnnotator): TextAnnotator {
  const pipe = (out: { text: string; annotations: OutputAnnotation[] }, end: boolean) => {
    const next = second.push(out.text);
    const rest = end ? second.flush() : { text: '', annotations: [] };
    return { text: next.text + rest.text, annotations: [...out.annotations, ...next.annotations, ...rest.annotations] };
  };
  return { push: (delta) => pipe(first.push(delta), false), flush: () => pipe(first.flush(), true) };
}
