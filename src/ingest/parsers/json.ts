// JSON is re-indented rather than round-tripped through JSON.parse/stringify: a round trip would rewrite
// numbers past 2^53 (account ids, order numbers) and those exact values are what people search for.
// Strings with escapes are normalised so "caf\u00e9" (Python's default output) is searchable as "café".
import { decodeText } from '../decode-text.js';
import type { ParsedText } from './parsed-text.js';

/** Parses .json files to 2-space indented JSON; JSON Lines and malformed JSON are kept as written. */
export async function parseJson(bytes: Uint8Array): Promise<ParsedText> {
  const decoded = decodeText(bytes);
  if (!decoded.ok) return decoded;
  const source = decoded.text.replace(/^\uFEFF/, '');
  try {
    JSON.parse(source);
  } catch {
    return decoded;
  }
  return { ok: true, text: reindent(source) };
}

const STRUCTURAL = new Set(['{', '}', '[', ']', ',', ':', '"', ' ', '\t', '\n', '\r']);

// One pass over valid JSON: copies literals verbatim and places line breaks and indentation around structure.
function reindent(src: string): string {
  const out: string[] = [];
  let depth = 0;
  const newline = () => out.push('\n' + '  '.repeat(depth));
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    if (c === '"') {
      const end = stringEnd(src, i);
      const literal = src.slice(i, end);
      out.push(literal.includes('\\') ? JSON.stringify(JSON.parse(literal)) : literal);
      i = end - 1;
    } else if (c === '{' || c === '[') {
      const close = c === '{' ? '}' : ']';
      const next = nextNonSpace(src, i + 1);
      if (src[next] === close) {
        out.push(c + close);
        i = next;
      } else {
        out.push(c);
        depth++;
        newline();
      }
    } else if (c === '}' || c === ']') {
      depth--;
      newline();
      out.push(c);
    } else if (c === ',') {
      out.push(',');
      newline();
    } else if (c === ':') {
      out.push(': ');
    } else if (c !== ' ' && c !== '\t' && c !== '\n' && c !== '\r') {
      // A number, true, false or null: copy the whole literal at once.
      let end = i + 1;
      while (end < src.length && !STRUCTURAL.has(src[end])) end++;
      out.push(src.slice(i, end));
      i = end - 1;
    }
  }
  return out.join('');
}

function stringEnd(src: string, open: number): number {
  let i = open + 1;
  while (src[i] !== '"') i += src[i] === '\\' ? 2 : 1;
  return i + 1;
}

function nextNonSpace(src: string, from: number): number {
  let i = from;
  while (src[i] === ' ' || src[i] === '\t' || src[i] === '\n' || src[i] === '\r') i++;
  return i;
}
