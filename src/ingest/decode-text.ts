// Bytes → string for plain-text formats. Uploads come from every OS and editor, so this detects UTF-8 (BOM or
// not), UTF-16 either way (BOM or a NUL-pattern guess) and falls back to Windows-1252 for legacy 8-bit files;
// bytes that are clearly not text are refused rather than indexed as noise.

/** Decoded text with line ends normalised to `\n`, or why the bytes are not text. */
export type DecodedText = { ok: true; text: string } | { ok: false; message: string };

const SAMPLE = 8192;
const NOT_TEXT = 'The file does not contain readable text (it looks binary).';

/** Decodes a text file's bytes; see the module comment for the encodings understood. */
export function decodeText(bytes: Uint8Array): DecodedText {
  const raw = decodeRaw(bytes);
  if (raw === undefined || looksBinary(raw)) return { ok: false, message: NOT_TEXT };
  return { ok: true, text: raw.replace(/\r\n?/g, '\n').replace(/\u0000/g, '') };
}

function decodeRaw(b: Uint8Array): string | undefined {
  if (b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) return utf8OrLegacy(b.subarray(3));
  if (b[0] === 0xff && b[1] === 0xfe) return utf16(b.subarray(2), 'le');
  if (b[0] === 0xfe && b[1] === 0xff) return utf16(b.subarray(2), 'be');
  const guess = guessUtf16(b);
  if (guess) return utf16(b, guess);
  if (nulRatio(b) > 0.01) return undefined;
  return utf8OrLegacy(b);
}

// Mostly-ASCII UTF-16 has a zero in every other byte; which half is zero gives the byte order.
function guessUtf16(b: Uint8Array): 'le' | 'be' | undefined {
  const n = Math.min(b.length, SAMPLE) & ~1;
  if (n < 4) return undefined;
  let evenZeros = 0;
  let oddZeros = 0;
  for (let i = 0; i < n; i += 2) {
    if (b[i] === 0) evenZeros++;
    if (b[i + 1] === 0) oddZeros++;
  }
  const pairs = n / 2;
  if (oddZeros / pairs > 0.4 && evenZeros / pairs < 0.05) return 'le';
  if (evenZeros / pairs > 0.4 && oddZeros / pairs < 0.05) return 'be';
  return undefined;
}

function utf16(b: Uint8Array, order: 'le' | 'be'): string {
  const even = b.subarray(0, b.length & ~1);
  if (order === 'le') return new TextDecoder('utf-16le').decode(even);
  const swapped = Buffer.from(even);
  swapped.swap16();
  return new TextDecoder('utf-16le').decode(swapped);
}

// Valid UTF-8 wins; a file whose invalid sequences outnumber its valid multi-byte ones is an 8-bit legacy file.
function utf8OrLegacy(b: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(b);
  } catch {
    const lossy = new TextDecoder('utf-8').decode(b);
    let replaced = 0;
    let nonAscii = 0;
    for (let i = 0; i < lossy.length; i++) {
      const c = lossy.charCodeAt(i);
      if (c === 0xfffd) replaced++;
      else if (c > 0x7f) nonAscii++;
    }
    return replaced > nonAscii ? new TextDecoder('windows-1252').decode(b) : lossy;
  }
}

function nulRatio(b: Uint8Array): number {
  const n = Math.min(b.length, SAMPLE);
  let zeros = 0;
  for (let i = 0; i < n; i++) if (b[i] === 0) zeros++;
  return n === 0 ? 0 : zeros / n;
}

// Control characters other than layout whitespace are rare in real text and common in binary data.
function looksBinary(s: string): boolean {
  const n = Math.min(s.length, SAMPLE);
  let bad = 0;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if ((c < 0x20 && c !== 9 && c !== 10 && c !== 12 && c !== 13) || c === 0xfffd) bad++;
  }
  return n > 0 && bad / n > 0.1;
}
