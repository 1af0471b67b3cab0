// Token-window chunking. The text is tokenized once (cl100k_base, the encoding of the text-embedding-3 models
// the chunks are embedded with) into "pieces": the tokenizer's own pre-split units, which never cut a word.
// Windows are then laid over the pieces, so the whole file costs one linear tokenizer pass however large it is.
import { decode, encodeGenerator } from 'gpt-tokenizer/encoding/cl100k_base';
import type { ChunkWindow } from './chunking-strategy.js';
import type { Chunk } from './ingest.js';

/** Chunks of a text plus its total token count. */
export interface ChunkedText {
  chunks: Chunk[];
  tokens: number;
}

// Long runs with no break (base64, minified code) are cut into pieces of at most this many tokens so a window
// (>= 100 tokens) can always end near its cap.
const MAX_PIECE_TOKENS = 32;
// Text that looks like special tokens ("<|endoftext|>") is ordinary content in an uploaded file.
const PLAIN = { disallowedSpecial: new Set<string>() };

interface Pieces {
  /** tokenStart[i] = tokens before piece i; length is pieceCount + 1. */
  tokenStart: number[];
  /** charStart[i] = UTF-16 offset of piece i; length is pieceCount + 1. */
  charStart: number[];
}

/**
 * Splits text into windows of at most `maxTokens` tokens, each starting up to `overlapTokens` tokens before
 * the previous one ended. A window ends at a blank line, line end or sentence end when one falls in its last
 * quarter, otherwise between words. Deterministic for a given input.
 */
export function chunkText(text: string, window: ChunkWindow): ChunkedText {
  const { tokenStart, charStart } = splitPieces(text);
  const count = tokenStart.length - 1;
  const total = tokenStart[count];
  const chunks: Chunk[] = [];
  let start = 0;
  let end = 0;
  while (start < count) {
    while (end < count && tokenStart[end + 1] - tokenStart[start] <= window.maxTokens) end++;
    if (end === start) end++;
    const cut = end === count ? end : bestBreak(text, charStart, tokenStart, start, end, window.maxTokens);
    chunks.push({
      index: chunks.length,
      text: text.slice(charStart[start], charStart[cut]),
      tokens: tokenStart[cut] - tokenStart[start],
    });
    if (cut === count) break;
    let next = start + 1;
    while (next < cut && tokenStart[cut] - tokenStart[next] > window.overlapTokens) next++;
    start = next;
    end = Math.max(end, start);
  }
  return { chunks, tokens: total };
}

// Scores the boundary before piece i: 3 blank line, 2 line end, 1 sentence end, 0 between words.
function boundaryStrength(text: string, at: number): number {
  const prev = text.charCodeAt(at - 1);
  if (prev === 10) return text.charCodeAt(at - 2) === 10 ? 3 : 2;
  const next = text.charCodeAt(at);
  if ((prev === 46 || prev === 33 || prev === 63) && (next === 32 || next === 10)) return 1;
  return 0;
}

function bestBreak(text: string, charStart: number[], tokenStart: number[], start: number, end: number, max: number): number {
  const floor = tokenStart[start] + Math.ceil(max * 0.75);
  let best = end;
  let bestScore = boundaryStrength(text, charStart[end]);
  for (let i = end - 1; i > start && tokenStart[i] >= floor && bestScore < 3; i--) {
    const score = boundaryStrength(text, charStart[i]);
    if (score > bestScore) {
      best = i;
      bestScore = score;
    }
  }
  return best;
}

function splitPieces(text: string): Pieces {
  const tokenStart = [0];
  const charStart = [0];
  let tokens = 0;
  let chars = 0;
  for (const group of encodeGenerator(text, PLAIN)) {
    if (group.length <= MAX_PIECE_TOKENS) {
      tokens += group.length;
      chars += decode(group).length;
      tokenStart.push(tokens);
      charStart.push(chars);
      continue;
    }
    for (let i = 0; i < group.length; ) {
      const [taken, length] = takeWholeChars(text, chars, group, i);
      i += taken;
      tokens += taken;
      chars += length;
      tokenStart.push(tokens);
      charStart.push(chars);
    }
  }
  return { tokenStart, charStart };
}

// A token may hold part of a multi-byte character; grow the slice until it decodes to exactly the source text.
function takeWholeChars(text: string, at: number, group: number[], from: number): [number, number] {
  let n = Math.min(MAX_PIECE_TOKENS, group.length - from);
  for (;;) {
    const s = decode(group.slice(from, from + n));
    if (from + n >= group.length || text.startsWith(s, at)) return [n, s.length];
    n++;
  }
}
