import type { FileSearchResult } from '../domain/types.js';
import { countTextTokens } from '../providers/token-estimate.js';
import type { SearchHit } from '../search/search-index.js';
import { citationMarker } from './file-citations.js';

// What the model gets to read: the results of a call, each behind the marker that cites it, cut to a budget so
// one search cannot crowd the conversation out of the model's context.

/** A call's share of the context window; the rest belongs to the conversation, instructions and the answer. */
const CONTEXT_SHARE = 0.25;
const MIN_BUDGET = 500;
const MAX_BUDGET = 16_000;
/** Below this many tokens left, a passage is not worth cutting down: the rest are dropped. */
const MIN_PASSAGE = 50;

/** Tokens of retrieved text one call may return to a model with this context window. */
export function resultBudget(contextWindow: number): number {
  return Math.max(MIN_BUDGET, Math.min(MAX_BUDGET, Math.floor(contextWindow * CONTEXT_SHARE)));
}

/** The hits as step results, best first, in the budget: whole passages while they fit, then one cut short. */
export function budgetResults(hits: SearchHit[], budget: number): FileSearchResult[] {
  const results: FileSearchResult[] = [];
  let left = budget;
  for (const hit of hits) {
    if (left < MIN_PASSAGE) break;
    const tokens = countTextTokens(hit.text);
    // Cutting by characters in proportion keeps within the budget closely enough without re-tokenizing.
    const text = tokens <= left ? hit.text : `${hit.text.slice(0, Math.floor((hit.text.length * left) / tokens))}…`;
    left -= Math.min(tokens, left);
    results.push({ file_id: hit.fileId, file_name: hit.filename, score: hit.score, content: [{ type: 'text', text }] });
  }
  return results;
}

/** The tool message for a call: how to cite, then every result behind its marker. */
export function resultsForModel(ordinal: number, results: FileSearchResult[], note?: string): string {
  const lines: string[] = [];
  if (note) lines.push(note);
  if (results.length === 0) {
    lines.push('No passages in the files matched these queries.');
    return lines.join('\n');
  }
  lines.push(
    `Passages found, best first. When you use one, cite it by copying its marker exactly (like ${citationMarker(ordinal, 0, results[0]!.file_name)}) right after the sentence it supports.`,
  );
  results.forEach((result, index) => {
    const text = (result.content ?? []).map((c) => c.text).join('\n');
    lines.push('', `${citationMarker(ordinal, index, result.file_name)} (score ${result.score.toFixed(2)})`, text);
  });
  return lines.join('\n');
}
