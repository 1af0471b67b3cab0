// Extension → parser. Parser modules load on first use so a worker that only sees text never loads pdf.js.
import type { Parser } from './parsers/parsed-text.js';
import type { ParserKind } from './supported-types.js';

const LOADERS: Record<ParserKind, () => Promise<Parser>> = {
  text: async () => (await import('./parsers/text.js')).parseText,
  html: async () => (await import('./parsers/html.js')).parseHtml,
  json: async () => (await import('./parsers/json.js')).parseJson,
  pdf: async () => (await import('./parsers/pdf.js')).parsePdf,
  docx: async () => (await import('./parsers/docx.js')).parseDocx,
  pptx: async () => (await import('./parsers/pptx.js')).parsePptx,
  xlsx: async () => (await import('./parsers/xlsx.js')).parseXlsx,
};

const loaded = new Map<ParserKind, Parser>();

/** The parser for a family, loading its module once. */
export async function parserFor(kind: ParserKind): Promise<Parser> {
  let parser = loaded.get(kind);
  if (!parser) {
    parser = await LOADERS[kind]();
    loaded.set(kind, parser);
  }
  return parser;
}
