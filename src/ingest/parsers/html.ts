// HTML is indexed as the text a reader sees: markup, scripts and link targets would only add noise to search.
import { convert } from 'html-to-text';
import { decodeText } from '../decode-text.js';
import type { ParsedText } from './parsed-text.js';

const OPTIONS = {
  wordwrap: false as const,
  selectors: [
    { selector: 'a', options: { ignoreHref: true } },
    { selector: 'img', format: 'skip' },
    { selector: 'h1', options: { uppercase: false } },
    { selector: 'h2', options: { uppercase: false } },
    { selector: 'h3', options: { uppercase: false } },
    { selector: 'h4', options: { uppercase: false } },
    { selector: 'h5', options: { uppercase: false } },
    { selector: 'h6', options: { uppercase: false } },
    { selector: 'table', options: { uppercaseHeaderCells: false } },
  ],
};

/** Parses .html and .htm files to their visible text. */
export async function parseHtml(bytes: Uint8Array): Promise<ParsedText> {
  const decoded = decodeText(bytes);
  if (!decoded.ok) return decoded;
  return { ok: true, text: convert(decoded.text, OPTIONS) };
}
