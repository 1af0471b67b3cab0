import type { Annotation, FileSearchResult } from '../domain/types.js';
import { codePoints } from '../lib/code-points.js';

// Every file_search result is shown to the model behind a marker naming the call and the result,
// 【{call}:{result}†{filename}】; markers the model copies into its answer become file_citation annotations.

/** The marker the model copies to cite result `index` of the run's `ordinal`-th file_search call. */
export function citationMarker(ordinal: number, index: number, filename: string): string {
  return `【${ordinal}:${index}†${filename}】`;
}

// Lenient about what models do to markers: a missing file name, or a different one ("source"). Names are
// bounded so that a stray `【0:0†` stops holding back streamed text (see openCitationFrom).
const MARKER = /【(\d+):(\d+)(?:†([^】]{0,256}))?】/g;
/** A marker still being written at the end of a text. */
const OPEN_MARKER = /【(?:\d+(?::(?:\d+(?:†[^】]{0,256})?)?)?)?$/;

/** The calls' results a marker can point at. */
export type CitableCall = { results: FileSearchResult[] };

/** How much of the cited passage a v1 `quote` shows. */
const QUOTE_CHARS = 1000;

/**
 * The `file_citation` annotations for the markers in `text`, with their exact indexes (code point offsets). A
 * marker that names no result is left as plain text. Each keeps the start of the cited passage as `quote`, which
 * only v1 clients are shown.
 */
export function citationAnnotations(text: string, calls: CitableCall[], firstOrdinal = 0): Annotation[] {
  const found: Annotation[] = [];
  let counted = 0;
  let start = 0;
  for (const match of text.matchAll(MARKER)) {
    const result = resolve(calls, Number(match[1]) - firstOrdinal, Number(match[2]), match[3]);
    if (!result) continue;
    // Indexes count Unicode code points, like the sandbox: link annotations (and Python's str slicing).
    start += codePoints(text.slice(counted, match.index!));
    counted = match.index!;
    const quote = (result.content ?? []).map((c) => c.text).join('\n').slice(0, QUOTE_CHARS);
    found.push({
      type: 'file_citation',
      text: match[0],
      start_index: start,
      end_index: start + codePoints(match[0]),
      file_citation: { file_id: result.file_id, quote },
    });
  }
  return found;
}

/** Where a marker may still be starting at the end of `text` (streamed so far); `text.length` when none is. */
export function openCitationFrom(text: string): number {
  const open = OPEN_MARKER.exec(text);
  return open ? open.index : text.length;
}

/**
 * The file a marker cites. `calls` are the run's file_search calls since its previous message and `ordinal` the
 * marker's call number relative to the first of them; a model that garbled the number is matched by result
 * number and file name, latest call first.
 */
function resolve(calls: CitableCall[], ordinal: number, index: number, name: string | undefined): FileSearchResult | undefined {
  const named = (r: FileSearchResult | undefined) => r !== undefined && (name === undefined || r.file_name === name.trim());
  const direct = calls[ordinal]?.results[index];
  if (named(direct)) return direct;
  for (let i = calls.length - 1; i >= 0; i--) {
    const result = calls[i]!.results[index];
    if (named(result)) return result;
  }
  // The model kept the numbers but not the name: trust the numbers.
  const fallback = direct ?? calls[calls.length - 1]?.results[index];
  if (fallback) return fallback;
  // Or the name but not the numbers: a file cited once is unambiguous.
  const byName = calls.flatMap((c) => c.results.filter((r) => r.file_name === name?.trim()));
  return new Set(byName.map((r) => r.file_id)).size === 1 ? byName[0] : undefined;
}
