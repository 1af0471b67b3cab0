// Which extensions file_search accepts and which parser family reads each. The hosted service decided by
// extension too, so a `.txt` holding JSON is indexed as text.
import { extname } from 'node:path';

/** A parser family; each has one module under `parsers/`. */
export type ParserKind = 'text' | 'html' | 'json' | 'pdf' | 'docx' | 'pptx' | 'xlsx';

const FAMILIES: Record<string, ParserKind> = {
  '.html': 'html',
  '.htm': 'html',
  '.json': 'json',
  '.pdf': 'pdf',
  '.docx': 'docx',
  '.pptx': 'pptx',
  '.xlsx': 'xlsx',
};

// The hosted file_search list, plus a few plain-text formats people routinely upload with it.
const TEXT_EXTENSIONS = [
  '.txt', '.md', '.csv', '.c', '.cpp', '.cs', '.css', '.go', '.java', '.js', '.ts', '.php', '.py', '.rb', '.sh',
  '.tex', '.xml', '.tsx', '.jsx', '.yaml', '.yml', '.h', '.hpp', '.markdown',
];
for (const ext of TEXT_EXTENSIONS) FAMILIES[ext] = 'text';

/** Every extension ingestion accepts, sorted, with the leading dot. */
export const SUPPORTED_EXTENSIONS: readonly string[] = Object.keys(FAMILIES).sort();

/** The parser for a filename, or undefined when its extension is not supported. */
export function parserKindFor(filename: string): ParserKind | undefined {
  return FAMILIES[extname(filename).toLowerCase()];
}

/** The `unsupported_file` message, worded like the hosted service's and listing what is accepted. */
export function unsupportedMessage(filename: string): string {
  const ext = extname(filename).toLowerCase() || 'none';
  return `Files with extensions [${ext}] are not supported for retrieval. Supported extensions: ${SUPPORTED_EXTENSIONS.join(', ')}.`;
}
