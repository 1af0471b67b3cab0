// Word documents through mammoth's raw-text extraction, which follows paragraphs, tables and runs in order.
import mammoth from 'mammoth';
import type { ParsedText } from './parsed-text.js';

/** Parses .docx files. */
export async function parseDocx(bytes: Uint8Array): Promise<ParsedText> {
  const { value } = await mammoth.extractRawText({ buffer: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) });
  return { ok: true, text: value };
}
