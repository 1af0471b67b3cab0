import type { Run, StepFileSearchToolCall } from '../domain/types.js';
import type { ChatTool } from '../providers/chat-model.js';
import type { EmbeddingModel } from '../providers/embedding-model.js';
import { createQueryVectorCache, embedQueries, type QueryVectorCache } from '../search/embed-queries.js';
import type { SearchHit, SearchIndex, SearchQuery } from '../search/search-index.js';
import type { BuiltinTool, MessageTouches, ToolContext } from './builtin-tool.js';
import { citationAnnotations, openCitationFrom } from './file-citations.js';
import { budgetResults, resultBudget, resultsForModel } from './file-search-results.js';

/**
 * A file_search call as stored in its step. Beyond the wire fields it keeps the queries the model asked and a
 * note for the model (why results may be missing), so later model calls can be replayed from the step alone;
 * both are internal and left out of the API's run steps.
 */
export type StoredFileSearchCall = StepFileSearchToolCall & {
  file_search: StepFileSearchToolCall['file_search'] & { queries?: string[]; note?: string };
};

export interface FileSearchToolOptions {
  index: SearchIndex;
  /** The server's embedding model, if any; without one, search is lexical. */
  embeddings: () => EmbeddingModel | undefined;
  /** Resolves true once none of the stores has a file still being ingested, false on timeout. */
  waitForVectorStores?: (project: string, vectorStoreIds: string[], timeoutMs: number) => Promise<boolean>;
  /** Records use of the stores, which postpones their expiry. */
  touch?: (project: string, vectorStoreIds: string[]) => Promise<void>;
  /** How long a call waits for ingestion to finish. Default 60 s, as the hosted service did. */
  waitMs?: number;
  /** Query vectors already asked for, so a run's repeated and parallel searches embed each query once. */
  queryVectors?: QueryVectorCache;
}

/** What ingestion offers file_search: the embedding model, waiting for stores to be indexed, and use stamps. */
export interface FileSearchIngestion {
  searchEmbeddings(): EmbeddingModel | undefined;
  waitForVectorStores(project: string, vectorStoreIds: string[], timeoutMs: number): Promise<boolean>;
  touch(project: string, vectorStoreIds: string[]): Promise<void>;
}

/** The options both APIs' file_search use: the search index and the vector stores' ingestion. */
export function fileSearchOptions(index: SearchIndex, ingestion: FileSearchIngestion): FileSearchToolOptions {
  return {
    index,
    embeddings: () => ingestion.searchEmbeddings(),
    waitForVectorStores: (project, ids, timeoutMs) => ingestion.waitForVectorStores(project, ids, timeoutMs),
    touch: (project, ids) => ingestion.touch(project, ids),
    queryVectors: createQueryVectorCache(),
  };
}

const DEFAULT_RANKER = 'default_2024_08_21';
const MAX_QUERIES = 10;

const DESCRIPTION = [
  "Searches the files attached to this assistant and conversation and returns the passages that best match.",
  'Use it whenever the answer may be in those files. Send several short queries at once: the question rephrased,',
  'its keywords, and each part of a question that has several. Answer from the passages and cite them.',
].join(' ');

const PARAMETERS = {
  type: 'object',
  properties: {
    queries: {
      type: 'array',
      items: { type: 'string' },
      description: 'One to five search queries, each a self-contained phrasing of what to look for.',
    },
  },
  required: ['queries'],
  additionalProperties: false,
};

/** The queries in the model's arguments: `{queries: [...]}`, forgivingly also `{query: "..."}` or a bare string. */
export function parseQueries(args: string): string[] | { error: string } {
  let value: unknown = args;
  try {
    value = JSON.parse(args);
  } catch {
    // A bare string is a query.
  }
  const raw = typeof value === 'string' ? [value] : (value as { queries?: unknown; query?: unknown } | null)?.queries ?? (value as { query?: unknown } | null)?.query;
  const list = (Array.isArray(raw) ? raw : [raw]).filter((q): q is string => typeof q === 'string' && q.trim() !== '').map((q) => q.trim());
  if (list.length === 0) return { error: 'The call had no queries. Call file_search again with {"queries": ["..."]}.' };
  return [...new Set(list)].slice(0, MAX_QUERIES);
}

/** The run's file_search settings, with the hosted defaults (20 results, 5 for gpt-3.5 models). */
function settings(run: Run, modelName: string) {
  const tool = run.tools.find((t) => t.type === 'file_search');
  const options = tool?.type === 'file_search' ? tool.file_search : undefined;
  const small = /gpt-3\.5/.test(modelName) || /gpt-3\.5/.test(run.model);
  const ranker = !options?.ranking_options?.ranker || options.ranking_options.ranker === 'auto' ? DEFAULT_RANKER : options.ranking_options.ranker;
  return {
    maxResults: options?.max_num_results ?? (small ? 5 : 20),
    ranking_options: { ranker, score_threshold: options?.ranking_options?.score_threshold ?? 0 },
  };
}

/** The vector stores of the run's assistant and thread, in that order, each once. */
async function vectorStoreIds(ctx: ToolContext): Promise<string[]> {
  const [assistant, thread] = await Promise.all([ctx.store.assistants.get(ctx.project, ctx.run.assistant_id), ctx.store.threads.get(ctx.project, ctx.run.thread_id)]);
  const ids = [...(assistant?.tool_resources?.file_search?.vector_store_ids ?? []), ...(thread?.tool_resources?.file_search?.vector_store_ids ?? [])];
  return [...new Set(ids)];
}

/** Settles with `promise`, or rejects with the signal's reason as soon as the run is cancelled. */
function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** The function the model is offered for file_search (in runs and in responses). */
export function fileSearchFunction(): ChatTool {
  return { type: 'function', function: { name: 'file_search', description: DESCRIPTION, parameters: PARAMETERS } };
}

/**
 * One search as file_search runs it: waits (up to the tool's limit) for files still being ingested, records
 * the use of the stores, embeds the queries when there is an embedding model, and searches. `note` tells the
 * model when some files were not ready.
 */
export async function searchVectorStores(
  options: FileSearchToolOptions,
  project: string,
  query: Omit<SearchQuery, 'queryEmbeddings' | 'embeddingModel'>,
  signal: AbortSignal,
): Promise<{ hits: SearchHit[]; note?: string }> {
  const ids = query.vectorStoreIds;
  const ready = options.waitForVectorStores ? await abortable(options.waitForVectorStores(project, ids, options.waitMs ?? 60_000), signal) : true;
  await options.touch?.(project, ids);
  const embedded = await embedQueries(options.embeddings(), query.queries, signal, options.queryVectors);
  const hits = await options.index.search(project, { ...query, ...embedded.query });
  return ready ? { hits } : { hits, note: 'Some files are still being processed; passages from them may be missing.' };
}

/** The file_search tool: the model's queries run together over the run's vector stores; answers cite passages. */
export function createFileSearchTool(options: FileSearchToolOptions): BuiltinTool<StoredFileSearchCall> {
  async function search(ctx: ToolContext, queries: string[], maxResults: number, ranking: { ranker: string; score_threshold: number }) {
    const ids = await vectorStoreIds(ctx);
    if (ids.length === 0) return { hits: [], note: 'No files are attached to this assistant or conversation, so there is nothing to search.' };
    return searchVectorStores(options, ctx.project, { vectorStoreIds: ids, queries, maxResults, ranker: ranking.ranker, scoreThreshold: ranking.score_threshold }, ctx.signal);
  }

  return {
    type: 'file_search',

    async definition(): Promise<ChatTool> {
      return fileSearchFunction();
    },

    unavailable: () => undefined,

    async execute(invocation, ctx, progress): Promise<StoredFileSearchCall> {
      const { maxResults, ranking_options } = settings(ctx.run, ctx.model.name);
      progress({ file_search: { ranking_options, results: [] } });
      const queries = parseQueries(invocation.arguments);
      if (!Array.isArray(queries)) return { id: invocation.id, type: 'file_search', file_search: { ranking_options, results: [], queries: [], note: queries.error } };
      const { hits, note } = await search(ctx, queries, maxResults, ranking_options);
      const results = budgetResults(hits, resultBudget(ctx.model.contextWindow));
      return { id: invocation.id, type: 'file_search', file_search: { ranking_options, results, queries, ...(note ? { note } : {}) } };
    },

    replay(call, ordinal) {
      const { queries = [], results = [], note } = call.file_search;
      return { arguments: JSON.stringify({ queries }), output: resultsForModel(ordinal, results, note) };
    },

    messageTouches(calls: StoredFileSearchCall[], firstOrdinal = 0): MessageTouches {
      const citable = calls.map((c) => ({ results: c.file_search.results ?? [] }));
      // Nothing to cite: no text is held back.
      if (citable.every((c) => c.results.length === 0)) return { parts: [], annotate: () => [], openFrom: (text) => text.length };
      return { parts: [], annotate: (text) => citationAnnotations(text, citable, firstOrdinal), openFrom: openCitationFrom };
    },
  };
}
