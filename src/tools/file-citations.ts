import type { Annotation, FileSearchResult, MessageContent } from '../domain/types.js';

// Every file_search result is shown to the model behind a marker naming the call and the result,
// 【{call}:{result}†{filename}】; markers the model copies into its answer become file_citation annotations.

/** The marker the model copies to cite result `index` of the run's `ordinal`-th file_search call. */
export function citationMarker(ordinal: number, index: number, filename: string): string {
  return `【${ordinal}:${index}†${filename}】`;
}

// Lenient about what models do to markers: a missing file name, or a different one ("source").
const MARKER = /【(\d+):(\d+)(?:†([^】]*))?】/g;

/** The calls' results a marker can point at. */
export type CitableCall = { results: FileSearchResult[] };

/**
 * Turns the markers in the message's text into `file_citation` annotations with their exact indexes (code point
 * offsets into the text). A marker that names no result is left as plain text.
 */
export function annotateCitations(content: MessageContent[], calls: CitableCall[], firstOrdinal = 0): MessageContent[] {
  return content.map((part) => {
    if (part.type !== 'text') return part;
    const found: Annotation[] = [];
    for (const match of part.text.value.matchAll(MARKER)) {
      const fileId = resolve(calls, Number(match[1]) - firstOrdinal, Number(match[2]), match[3]);
      if (!fileId) continue;
      // Indexes count Unicode code points, like the sandbox: link annotations (and Python's str slicing).
      const start = [...part.text.value.slice(0, match.index!)].length;
      found.push({
        type: 'file_citation',
        text: match[0],
        start_index: start,
        end_index: start + [...match[0]].length,
        file_citation: { file_id: fileId },
      });
    }
    if (found.length === 0) return part;
    const annotations = [...part.text.annotations, ...found].sort((a, b) => a.start_index - b.start_index);
    return { type: 'text', text: { value: part.text.value, annotations } };
  });
}

/**
 * The file a marker cites. `calls` are the run's file_search calls since its previous message and `ordinal` the
 * marker's call number relative to the first of them; a model that garbled the number is matched by result
 * number and file name, latest call first.
 */
function resolve(calls: CitableCall[], ordinal: number, index: number, name: string | undefined): string | undefined {
  const named = (r: FileSearchResult | undefined) => r !== undefined && (name === undefined || r.file_name === name.trim());
  const direct = calls[ordinal]?.results[index];
  if (named(direct)) return direct!.file_id;
  for (let i = calls.length - 1; i >= 0; i--) {
    const result = calls[i]!.results[index];
    if (named(result)) return result!.file_id;
  }
  // The model kept the numbers but not the name: trust the numbers.
  const fallback = direct ?? calls[calls.length - 1]?.results[index];
  if (fallback) return fallback.file_id;
  // Or the name but not the numbers: a file cited once is unambiguous.
  const byName = new Set(calls.flatMap((c) => c.results.filter((r) => r.file_name === name?.trim()).map((r) => r.file_id)));
  return byName.size === 1 ? [...byName][0] : undefined;
}
