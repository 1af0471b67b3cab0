// PDF text through unpdf's bundled serverless pdf.js build: no canvas, no native modules, safe in a worker.
import { extractText, getDocumentProxy } from 'unpdf';
import type { ParsedText } from './parsed-text.js';

/** Parses .pdf files; pages are separated by a blank line. Scanned PDFs without a text layer are refused. */
export async function parsePdf(bytes: Uint8Array): Promise<ParsedText> {
  // pdf.js takes ownership of (detaches) the buffer it is given, so hand it a copy.
  const pdf = await getDocumentProxy(new Uint8Array(bytes), { isEvalSupported: false, verbosity: 0 });
  try {
    const { text } = await extractText(pdf, { mergePages: false });
    const joined = text.map((page) => page.trim()).filter((page) => page !== '').join('\n\n');
    if (joined === '') return { ok: false, message: 'The PDF contains no extractable text (it may be a scanned image).' };
    return { ok: true, text: joined };
  } finally {
    await pdf.destroy();
  }
}
