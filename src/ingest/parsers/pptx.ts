// PowerPoint: the text of each slide in presentation order (not file-name order: reordering slides in
// PowerPoint does not rename their parts), each followed by its speaker notes.
import { byNumber, childrenOf, dig, parseOrdered, parseTree, relationships, requirePart, tagOf, unzipParts, type OrderedNode } from './ooxml.js';
import type { ParsedText } from './parsed-text.js';

const PRESENTATION_ARRAYS = new Set(['p:sldId']);
const NEEDED = /^ppt\/(presentation\.xml|_rels\/presentation\.xml\.rels|slides\/|notesSlides\/)/;

/** Parses .pptx files to "Slide N" sections of slide text and notes. */
export async function parsePptx(bytes: Uint8Array): Promise<ParsedText> {
  const parts = unzipParts(bytes, (name) => NEEDED.test(name));
  requirePart(parts, 'ppt/presentation.xml');
  const sections = slideOrder(parts).map((slide, i) => {
    const notes = notesOf(parts, slide);
    const body = textOf(parseOrdered(parts.get(slide) ?? ''));
    return `Slide ${i + 1}\n${body}${notes ? `\nNotes:\n${notes}` : ''}`.trim();
  });
  return { ok: true, text: sections.join('\n\n') };
}

function slideOrder(parts: Map<string, string>): string[] {
  const rels = relationships(parts, 'ppt/_rels/presentation.xml.rels', 'ppt/');
  const tree = parseTree(parts.get('ppt/presentation.xml') ?? '', PRESENTATION_ARRAYS);
  const ids = dig(tree, ['p:presentation', 'p:sldIdLst', 'p:sldId']);
  const ordered = (Array.isArray(ids) ? ids : [])
    .map((s: Record<string, string>) => rels.get(s['r:id']))
    .filter((p): p is string => p !== undefined && parts.has(p));
  if (ordered.length > 0) return ordered;
  return [...parts.keys()].filter((n) => /^ppt\/slides\/slide\d+\.xml$/.test(n)).sort(byNumber);
}

function notesOf(parts: Map<string, string>, slide: string): string {
  const relsName = slide.replace(/([^/]+)$/, '_rels/$1.rels');
  const rels = relationships(parts, relsName, 'ppt/slides/', /\/notesSlide$/);
  const target = [...rels.values()][0];
  return target && parts.has(target) ? textOf(parseOrdered(parts.get(target) ?? '')) : '';
}

/** DrawingML text: runs joined, one line per paragraph, explicit breaks and tabs kept. */
function textOf(nodes: OrderedNode[]): string {
  const out: string[] = [];
  const walk = (list: OrderedNode[]) => {
    for (const node of list) {
      const tag = tagOf(node);
      if (tag === 'a:t') out.push(childrenOf(node).map((t) => String(t['#text'] ?? '')).join(''));
      else if (tag === 'a:br') out.push('\n');
      else if (tag === 'a:tab') out.push('\t');
      else if (tag !== '#text') walk(childrenOf(node));
      if (tag === 'a:p') out.push('\n');
    }
  };
  walk(nodes);
  return out.join('').replace(/\n{3,}/g, '\n\n').trim();
}
