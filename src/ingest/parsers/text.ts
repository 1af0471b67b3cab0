// Plain text and source code: indexed as written, only decoded.
import { decodeText } from '../decode-text.js';
import type { ParsedText } from './parsed-text.js';

/** Parses .txt, .md, .csv and source files. */
export async function parseText(bytes: Uint8Array): Promise<ParsedText> {
  return decodeText(bytes);
}
