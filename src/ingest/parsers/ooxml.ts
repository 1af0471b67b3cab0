// Shared plumbing for the Office Open XML formats (pptx, xlsx): bounded unzip and hardened XML parsing.
import { unzipSync } from 'fflate';
import { XMLParser } from 'fast-xml-parser';
import { InvalidFileError } from './parsed-text.js';

// Zip bombs declare huge uncompressed sizes; refuse them before inflating anything.
const MAX_PART_BYTES = 256 * 1024 * 1024;
const MAX_TOTAL_BYTES = 1024 * 1024 * 1024;

/** Inflates the parts whose names pass `wanted`, as UTF-8 strings keyed by part name. */
export function unzipParts(bytes: Uint8Array, wanted: (name: string) => boolean): Map<string, string> {
  let total = 0;
  const files = unzipSync(bytes, {
    filter: (f) => {
      if (!wanted(f.name)) return false;
      total += f.originalSize;
      if (f.originalSize > MAX_PART_BYTES || total > MAX_TOTAL_BYTES) {
        throw new InvalidFileError('The archive expands to more data than allowed.');
      }
      return true;
    },
  });
  const decoder = new TextDecoder();
  const parts = new Map<string, string>();
  for (const [name, data] of Object.entries(files)) parts.set(name, decoder.decode(data));
  return parts;
}

/** The part, or an `InvalidFileError` naming what the package is missing. */
export function requirePart(parts: Map<string, string>, name: string): string {
  const xml = parts.get(name);
  if (xml === undefined) throw new InvalidFileError(`The file is not a valid Office document: ${name} is missing.`);
  return xml;
}

/** A parsed XML node in document order: `{ tag: children[], ':@'?: attributes }` or `{ '#text': string }`. */
export type OrderedNode = Record<string, unknown>;

const COMMON = {
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  htmlEntities: false,
};

const ordered = new XMLParser({ ...COMMON, preserveOrder: true });

/** Parses XML keeping sibling order, which text extraction needs (runs, fields and breaks interleave). */
export function parseOrdered(xml: string): OrderedNode[] {
  return ordered.parse(guard(xml)) as OrderedNode[];
}

/** Parses XML into plain objects; tags listed in `arrays` always come back as arrays. */
export function parseTree(xml: string, arrays: ReadonlySet<string>): Record<string, unknown> {
  const parser = new XMLParser({ ...COMMON, isArray: (name, _path, _leaf, isAttribute) => !isAttribute && arrays.has(name) });
  return parser.parse(guard(xml)) as Record<string, unknown>;
}

// OOXML parts never declare a DTD; one that does is hostile (entity expansion) or not OOXML at all.
function guard(xml: string): string {
  if (/<!DOCTYPE/i.test(xml.slice(0, 4096))) throw new InvalidFileError('The document contains a DTD, which Office files never do.');
  return xml;
}

/** Children of an ordered node (the array under its tag name). */
export function childrenOf(node: OrderedNode): OrderedNode[] {
  for (const key of Object.keys(node)) {
    if (key !== ':@' && key !== '#text') return (node[key] as OrderedNode[]) ?? [];
  }
  return [];
}

/** The tag name of an ordered node, or '#text'. */
export function tagOf(node: OrderedNode): string {
  for (const key of Object.keys(node)) if (key !== ':@') return key;
  return '';
}

/** Sorts part names like slide2.xml before slide10.xml. */
export function byNumber(a: string, b: string): number {
  return partNumber(a) - partNumber(b) || a.localeCompare(b);
}

function partNumber(name: string): number {
  const m = /(\d+)\.xml$/.exec(name);
  return m ? Number(m[1]) : 0;
}

const RELS_ARRAYS = new Set(['Relationship']);

/** Relationship id → part name from a .rels part, targets resolved against `base`, optionally filtered by type. */
export function relationships(parts: Map<string, string>, name: string, base: string, type?: RegExp): Map<string, string> {
  const out = new Map<string, string>();
  const xml = parts.get(name);
  if (!xml) return out;
  const list = dig(parseTree(xml, RELS_ARRAYS), ['Relationships', 'Relationship']);
  for (const r of Array.isArray(list) ? (list as Record<string, string>[]) : []) {
    if (type && !type.test(r.Type ?? '')) continue;
    out.set(r.Id, resolvePath(base, r.Target ?? ''));
  }
  return out;
}

function resolvePath(base: string, target: string): string {
  if (target.startsWith('/')) return target.slice(1);
  const segments = base.split('/').filter(Boolean);
  for (const s of target.split('/')) {
    if (s === '..') segments.pop();
    else if (s !== '.') segments.push(s);
  }
  return segments.join('/');
}

/** Walks nested plain objects from {@link parseTree}; undefined when any step is missing. */
export function dig(tree: unknown, path: string[]): unknown {
  let cur = tree;
  for (const key of path) cur = cur && typeof cur === 'object' ? (cur as Record<string, unknown>)[key] : undefined;
  return cur;
}
