import { ID_PREFIX, newId } from '../../domain/ids.js';
import type { FileSearchCallItem, FileSearchCallResult, ResponseFileSearchTool } from '../../domain/responses.js';
import type { FileSearchResult } from '../../domain/types.js';
import { parseQueries, searchVectorStores, type FileSearchToolOptions } from '../../tools/file-search.js';
import { budgetResults, resultBudget, resultsForModel } from '../../tools/file-search-results.js';
import type { ResponseEventBody } from './response-output.js';

/** What one file_search call of the model needs beyond the tool's settings. */
export interface FileSearchCallContext {
  project: string;
  /** Output index the call's item gets. */
  outputIndex: number;
  /** This call's number among the response's file_search calls: its citation markers carry it. */
  ordinal: number;
  /** The model's context window, which bounds how much retrieved text it is shown. */
  contextWindow: number;
  emit: (event: ResponseEventBody) => void;
  signal: AbortSignal;
}

/** A finished call: its output item, the results the model saw (what markers cite) and its tool message. */
export interface FileSearchCallDone {
  item: FileSearchCallItem;
  cited: { results: FileSearchResult[] };
  forModel: string;
}

/**
 * Runs one file_search call the model made, with the Assistants engine's search over the tool's vector stores,
 * streaming the hosted events: item added, in_progress, searching, completed, item done. A search that throws
 * (the database, a cancelled response) leaves the item `failed`, done, and the error to end the response.
 */
export async function runFileSearchCall(options: FileSearchToolOptions, tool: ResponseFileSearchTool, args: string, ctx: FileSearchCallContext): Promise<FileSearchCallDone | { item: FileSearchCallItem; error: unknown }> {
  const queries = parseQueries(args);
  const item: FileSearchCallItem = { id: newId(ID_PREFIX.fileSearchCall), type: 'file_search_call', status: 'in_progress', queries: Array.isArray(queries) ? queries : [], results: null };
  const at = { item_id: item.id, output_index: ctx.outputIndex };
  ctx.emit({ type: 'response.output_item.added', output_index: ctx.outputIndex, item: { ...item } });
  ctx.emit({ type: 'response.file_search_call.in_progress', ...at });
  if (!Array.isArray(queries)) {
    item.status = 'failed';
    ctx.emit({ type: 'response.output_item.done', output_index: ctx.outputIndex, item });
    return { item, cited: { results: [] }, forModel: queries.error };
  }
  item.status = 'searching';
  ctx.emit({ type: 'response.file_search_call.searching', ...at });
  const query = {
    vectorStoreIds: tool.vector_store_ids,
    queries,
    maxResults: tool.max_num_results,
    ranker: tool.ranking_options.ranker,
    scoreThreshold: tool.ranking_options.score_threshold,
    ...(tool.filters ? { filters: tool.filters } : {}),
  };
  let found: Awaited<ReturnType<typeof searchVectorStores>>;
  try {
    found = await searchVectorStores(options, ctx.project, query, ctx.signal);
  } catch (error) {
    item.status = 'failed';
    ctx.emit({ type: 'response.output_item.done', output_index: ctx.outputIndex, item });
    return { item, error };
  }
  const { hits, note } = found;
  const results = budgetResults(hits, resultBudget(ctx.contextWindow));
  // Kept always, for later model calls; a client sees them with `include` (see response-includes.ts).
  item.results = hits.map((h): FileSearchCallResult => ({ file_id: h.fileId, filename: h.filename, score: h.score, text: h.text, attributes: h.attributes }));
  item.status = 'completed';
  ctx.emit({ type: 'response.file_search_call.completed', ...at });
  ctx.emit({ type: 'response.output_item.done', output_index: ctx.outputIndex, item });
  return { item, cited: { results }, forModel: resultsForModel(ctx.ordinal, results, note) };
}

/**
 * How an earlier file_search call is shown to the model in a later response: its queries, and the passages
 * when the item kept them. Without them the answer that followed the search still carries what was found.
 */
export function replayFileSearchCall(item: FileSearchCallItem): string {
  if (!item.results) return 'This search ran in an earlier turn; its passages are not kept (the answer that followed used them).';
  if (item.results.length === 0) return 'No passages in the files matched these queries.';
  return item.results.map((r) => `${r.filename} (score ${r.score.toFixed(2)}):\n${r.text}`).join('\n\n');
}
