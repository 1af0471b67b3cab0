// Excel: every sheet as tab-separated rows under its name. Cell values come from shared strings, inline
// strings, cached formula results and numbers; column gaps are kept so values stay under their headers.
import { dig, parseTree, relationships, requirePart, unzipParts } from './ooxml.js';
import type { ParsedText } from './parsed-text.js';

const ARRAYS = new Set(['sheet', 'si', 'r', 'row', 'c']);
const NEEDED = /^xl\/(workbook\.xml|_rels\/workbook\.xml\.rels|sharedStrings\.xml|worksheets\/[^/]+\.xml)$/;
// A hostile cell reference like XFD1 would otherwise pad a row with 16k tabs.
const MAX_GAP = 64;

type Cell = Record<string, unknown>;

/** Parses .xlsx files to "Sheet: name" sections of tab-separated rows. */
export async function parseXlsx(bytes: Uint8Array): Promise<ParsedText> {
  const parts = unzipParts(bytes, (name) => NEEDED.test(name));
  const workbook = parseTree(requirePart(parts, 'xl/workbook.xml'), ARRAYS);
  const rels = relationships(parts, 'xl/_rels/workbook.xml.rels', 'xl/');
  const shared = sharedStrings(parts.get('xl/sharedStrings.xml'));
  const sheets = (dig(workbook, ['workbook', 'sheets', 'sheet']) as Cell[] | undefined) ?? [];
  const sections: string[] = [];
  for (const sheet of sheets) {
    const part = rels.get(String(sheet['r:id'] ?? ''));
    const xml = part === undefined ? undefined : parts.get(part);
    if (xml === undefined) continue;
    const rows = sheetRows(xml, shared);
    sections.push(`Sheet: ${String(sheet.name ?? '')}${rows ? `\n${rows}` : ''}`);
  }
  return { ok: true, text: sections.join('\n\n') };
}

function sharedStrings(xml: string | undefined): string[] {
  if (xml === undefined) return [];
  const items = (dig(parseTree(xml, ARRAYS), ['sst', 'si']) as Cell[] | undefined) ?? [];
  return items.map(richText);
}

// <si>/<is> hold either one <t> or several rich-text runs <r><t>; phonetic hints (<rPh>) are skipped.
function richText(node: Cell | undefined): string {
  if (!node || typeof node !== 'object') return '';
  if (node.t !== undefined) return textValue(node.t);
  const runs = Array.isArray(node.r) ? (node.r as Cell[]) : [];
  return runs.map((run) => textValue(run.t)).join('');
}

// A <t xml:space="preserve"> parses to an object holding its text; a bare <t> to the string itself.
function textValue(t: unknown): string {
  if (typeof t === 'string') return t;
  if (t && typeof t === 'object') return String((t as Cell)['#text'] ?? '');
  return '';
}

function sheetRows(xml: string, shared: string[]): string {
  const rows = (dig(parseTree(xml, ARRAYS), ['worksheet', 'sheetData', 'row']) as Cell[] | undefined) ?? [];
  const lines: string[] = [];
  for (const row of rows) {
    const fields: string[] = [];
    for (const cell of (row.c as Cell[] | undefined) ?? []) {
      const column = columnIndex(cell.r);
      if (column !== undefined && column > fields.length) {
        fields.push(...new Array<string>(Math.min(column - fields.length, MAX_GAP)).fill(''));
      }
      fields.push(cellValue(cell, shared));
    }
    while (fields.length > 0 && fields[fields.length - 1] === '') fields.pop();
    if (fields.length > 0) lines.push(fields.join('\t'));
  }
  return lines.join('\n');
}

function cellValue(cell: Cell, shared: string[]): string {
  const v = textValue(cell.v);
  switch (cell.t) {
    case 's':
      return shared[Number(v)] ?? '';
    case 'inlineStr':
      return richText(cell.is as Cell | undefined);
    case 'b':
      return v === '1' ? 'TRUE' : v === '0' ? 'FALSE' : v;
    case 'str':
    case 'e':
      return v;
    default: {
      // Excel stores binary doubles ("0.30000000000000004") but shows at most 15 significant digits ("0.3");
      // index what the user saw.
      const n = Number(v);
      return v !== '' && Number.isFinite(n) ? String(Number(n.toPrecision(15))) : v;
    }
  }
}

// "C12" → 2 (zero-based column); undefined when the reference is absent or malformed.
function columnIndex(ref: unknown): number | undefined {
  if (typeof ref !== 'string') return undefined;
  const m = /^([A-Z]{1,3})\d+$/.exec(ref);
  if (!m) return undefined;
  let n = 0;
  for (const ch of m[1]) n = n * 26 + (ch.charCodeAt(0) - 64);
  return n - 1;
}
