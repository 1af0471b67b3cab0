import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startChatUpstream, type ChatUpstream } from '../../test/support/chat-upstream.js';
import { createLocalBlobStore } from '../blobs/local-blob-store.js';
import { ID_PREFIX, newId, nowSeconds } from '../domain/ids.js';
import type { Assistant, AssistantTool, Run, Thread } from '../domain/types.js';
import type { EmbeddingModel } from '../providers/embedding-model.js';
import { createOpenAIEmbeddingModel } from '../providers/openai-embedding-model.js';
import { createSearchIndex } from '../search/create-search-index.js';
import type { SearchIndex } from '../search/search-index.js';
import { createStore } from '../store/create-store.js';
import type { Store } from '../store/store.js';
import type { ToolContext } from './builtin-tool.js';
import { createFileSearchTool, parseQueries, type FileSearchToolOptions, type StoredFileSearchCall } from './file-search.js';

const PROJECT = 'p1';

function fakeRun(threadId: string, assistantId: string, model: string, tools: AssistantTool[]): Run {
  return {
    id: newId(ID_PREFIX.run), object: 'thread.run', created_at: nowSeconds(), thread_id: threadId, assistant_id: assistantId,
    status: 'in_progress', required_action: null, last_error: null, expires_at: null, started_at: null, cancelled_at: null,
    failed_at: null, completed_at: null, incomplete_details: null, model, instructions: '', tools,
    metadata: {}, usage: null, temperature: null, top_p: null, max_prompt_tokens: null, max_completion_tokens: null,
    truncation_strategy: { type: 'auto', last_messages: null }, response_format: null, tool_choice: 'auto', parallel_tool_calls: true,
  };
}

describe('file_search tool', () => {
  let dir: string;
  let store: Store;
  let index: SearchIndex;
  let upstream: ChatUpstream;
  let embeddings: EmbeddingModel;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'assistd-fs-tool-'));
    store = createStore({ dataDir: dir });
    await store.migrate();
    index = createSearchIndex(store);
    upstream = await startChatUpstream();
    embeddings = createOpenAIEmbeddingModel({ baseURL: upstream.baseURL, apiKey: 'sk-test' });
  });
  after(async () => {
    await upstream.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function put(vs: string, fileId: string, filename: string, text: string) {
    const [vector] = await embeddings.embed([text]);
    await index.putFile(PROJECT, vs, { fileId, filename, attributes: {} }, [{ index: 0, text, tokens: 0, embedding: Float32Array.from(vector!) }], embeddings.key);
  }

  /** A run whose assistant and thread each have their own vector store. */
  async function context(opts: { stores?: { assistant?: string[]; thread?: string[] }; model?: string; contextWindow?: number; tool?: AssistantTool } = {}): Promise<ToolContext> {
    const tool = opts.tool ?? { type: 'file_search' };
    const assistant: Assistant = {
      id: newId(ID_PREFIX.assistant), object: 'assistant', created_at: nowSeconds(), name: null, description: null, model: 'scripted',
      instructions: null, tools: [tool], tool_resources: { file_search: { vector_store_ids: opts.stores?.assistant ?? ['vs_assistant'] } },
      metadata: {}, temperature: null, top_p: null, response_format: null,
    };
    const thread: Thread = {
      id: newId(ID_PREFIX.thread), object: 'thread', created_at: nowSeconds(), metadata: {},
      tool_resources: { file_search: { vector_store_ids: opts.stores?.thread ?? ['vs_thread'] } },
    };
    await store.assistants.insert(PROJECT, assistant);
    await store.threads.insert(PROJECT, thread);
    const model = opts.model ?? 'gpt-4o';
    const info = { name: model, provider: 'openai-compatible', contextWindow: opts.contextWindow ?? 128_000, supportsTools: true, supportsVision: false };
    return { project: PROJECT, run: fakeRun(thread.id, assistant.id, model, [tool]), store, blobs: createLocalBlobStore(join(dir, 'files')), model: info, signal: new AbortController().signal };
  }

  function tool(options: Partial<FileSearchToolOptions> = {}) {
    return createFileSearchTool({ index, embeddings: () => embeddings, ...options });
  }

  async function call(ctx: ToolContext, args: unknown, options: Partial<FileSearchToolOptions> = {}, progress: unknown[] = []) {
    return tool(options).execute({ id: newId(ID_PREFIX.call), arguments: typeof args === 'string' ? args : JSON.stringify(args) }, ctx, (p) => progress.push(p));
  }

  before(async () => {
    await put('vs_assistant', 'file-handbook', 'handbook.pdf', 'Expense reports are due on the fifth working day of each month.');
    await put('vs_assistant', 'file-menu', 'menu.txt', 'The canteen serves lentil soup on Mondays.');
    await put('vs_thread', 'file-contract', 'contract.docx', 'The notice period in the contract is ninety days.');
  });

  it('offers one function taking several queries', async () => {
    const def = await tool().definition(await context());
    assert.equal(def.function.name, 'file_search');
    assert.deepEqual((def.function.parameters as any).required, ['queries']);
    assert.equal((def.function.parameters as any).properties.queries.type, 'array');
    assert.equal(tool().unavailable(), undefined);
  });

  it('searches the assistant and thread stores with all queries at once, embedding them, waiting for ingestion', async () => {
    const waited: unknown[] = [];
    const touched: unknown[] = [];
    const progress: unknown[] = [];
    upstream.requests.splice(0);
    const result = await call(await context(), { queries: ['when are expense reports due', 'contract notice period'] }, {
      waitForVectorStores: async (project, ids, ms) => (waited.push([project, ids, ms]), true),
      touch: async (project, ids) => void touched.push([project, ids]),
    }, progress);
    assert.deepEqual(waited, [[PROJECT, ['vs_assistant', 'vs_thread'], 60_000]]);
    assert.deepEqual(touched, [[PROJECT, ['vs_assistant', 'vs_thread']]]);
    assert.deepEqual(upstream.requests.filter((r) => r.path.endsWith('/embeddings')).map((r) => r.body.input), [['when are expense reports due', 'contract notice period']]);
    assert.equal(result.type, 'file_search');
    assert.deepEqual(result.file_search.ranking_options, { ranker: 'default_2024_08_21', score_threshold: 0 });
    assert.deepEqual(result.file_search.queries, ['when are expense reports due', 'contract notice period']);
    const files = result.file_search.results!.map((r) => r.file_id);
    assert.deepEqual(files.slice(0, 2).sort(), ['file-contract', 'file-handbook']);
    const handbook = result.file_search.results!.find((r) => r.file_id === 'file-handbook')!;
    assert.equal(handbook.file_name, 'handbook.pdf');
    assert.match(handbook.content![0]!.text, /fifth working day/);
    assert.ok(handbook.score > 0 && handbook.score <= 1);
    assert.deepEqual(progress[0], { file_search: { ranking_options: result.file_search.ranking_options, results: [] } });
  });

  it('follows the tool settings: max_num_results and ranking options; 5 results for gpt-3.5', async () => {
    for (let i = 0; i < 8; i++) await put('vs_many', `file-m${i}`, `m${i}.txt`, `Lighthouse log ${i}: the lamp was lit at dusk.`);
    const stores = { assistant: ['vs_many'], thread: [] };
    const two = await call(await context({ stores, tool: { type: 'file_search', file_search: { max_num_results: 2, ranking_options: { ranker: 'auto', score_threshold: 0.1 } } } }), { queries: ['lighthouse lamp'] });
    assert.equal(two.file_search.results!.length, 2);
    assert.deepEqual(two.file_search.ranking_options, { ranker: 'default_2024_08_21', score_threshold: 0.1 });
    assert.equal((await call(await context({ stores, model: 'gpt-3.5-turbo' }), { queries: ['lighthouse lamp'] })).file_search.results!.length, 5);
    assert.equal((await call(await context({ stores }), { queries: ['lighthouse lamp'] })).file_search.results!.length, 8);
    const strict = await call(await context({ stores, tool: { type: 'file_search', file_search: { ranking_options: { score_threshold: 1 } } } }), { queries: ['lighthouse lamp unicorn'] });
    assert.deepEqual(strict.file_search.results, []);
  });

  it('keeps retrieved text within a share of the model context', async () => {
    const long = Array.from({ length: 400 }, (_, i) => `Clause ${i} of the warehouse lease sets out duties.`).join(' ');
    await put('vs_long', 'file-lease', 'lease.txt', long);
    const ctx = await context({ stores: { assistant: ['vs_long'], thread: [] }, contextWindow: 2_000 });
    const [result] = (await call(ctx, { queries: ['warehouse lease'] })).file_search.results!;
    const text = result!.content![0]!.text;
    assert.ok(text.length < long.length / 4, `cut to ${text.length} characters`);
    assert.ok(long.startsWith(text.slice(0, -1)) && text.endsWith('…'));
  });

  it('replays from the stored call: the queries, and each result behind the marker to copy', async () => {
    const done = await call(await context(), { queries: ['expense reports'] });
    const { arguments: args, output } = tool().replay(done, 3);
    assert.deepEqual(JSON.parse(args), { queries: ['expense reports'] });
    assert.match(output, /【3:0†handbook\.pdf】/);
    assert.ok(output.indexOf('【3:0†handbook.pdf】') < output.indexOf('fifth working day'));
    const stored: StoredFileSearchCall = JSON.parse(JSON.stringify(done));
    assert.deepEqual(tool().replay(stored, 3), { arguments: args, output });
  });

  it('explains instead of failing: bad arguments, no stores, ingestion still running, embeddings down', async () => {
    const bad = await call(await context(), '{"queries": []}');
    assert.deepEqual(bad.file_search.results, []);
    assert.match(tool().replay(bad, 0).output, /no queries/);
    const none = await call(await context({ stores: { assistant: [], thread: [] } }), { queries: ['anything'] });
    assert.match(tool().replay(none, 0).output, /No files are attached/);
    const slow = await call(await context(), { queries: ['expense reports'] }, { waitForVectorStores: async () => false });
    assert.match(tool().replay(slow, 0).output, /still being processed/);
    assert.equal(slow.file_search.results![0]!.file_id, 'file-handbook');
    const down = createOpenAIEmbeddingModel({ baseURL: 'http://127.0.0.1:9/v1', apiKey: 'x', retry: { maxRetries: 0, maxRetryAfterMs: 0, initialBackoffMs: 1 } });
    const lexical = await call(await context(), { queries: ['expense reports'] }, { embeddings: () => down });
    assert.equal(lexical.file_search.results![0]!.file_id, 'file-handbook');
  });

  it('stops waiting for ingestion when the run is cancelled', async () => {
    const controller = new AbortController();
    const ctx = { ...(await context()), signal: controller.signal };
    const pending = call(ctx, { queries: ['expense reports'] }, { waitForVectorStores: () => new Promise(() => {}) });
    setTimeout(() => controller.abort(new Error('run cancelled')), 20);
    await assert.rejects(pending, /run cancelled/);
  });

  it('accepts a single query string as the model may send it', () => {
    assert.deepEqual(parseQueries('{"query": "notice period"}'), ['notice period']);
    assert.deepEqual(parseQueries('notice period'), ['notice period']);
    assert.deepEqual(parseQueries('{"queries": ["a", "a", " b "]}'), ['a', 'b']);
    assert.ok('error' in (parseQueries('{}') as object));
  });

  it('turns copied markers into file_citation annotations with exact indexes', async () => {
    const first = await call(await context(), { queries: ['expense reports'] });
    const second = await call(await context(), { queries: ['contract notice period'] });
    const value = 'Reports are due on the fifth working day【0:0†handbook.pdf】. Notice is ninety days【1:0†contract.docx】, see also 【7:3†nothing.txt】.';
    const annotations = tool().messageTouches!([first, second], 0).annotate(value);
    assert.equal(annotations.length, 2);
    assert.deepEqual(annotations.map((a) => [a.type, value.slice(a.start_index, a.end_index), a.text, a.type === 'file_citation' && a.file_citation.file_id]), [
      ['file_citation', '【0:0†handbook.pdf】', '【0:0†handbook.pdf】', 'file-handbook'],
      ['file_citation', '【1:0†contract.docx】', '【1:0†contract.docx】', 'file-contract'],
    ]);
    const quote = annotations[0]!.type === 'file_citation' ? annotations[0]!.file_citation.quote : undefined;
    assert.ok(quote && first.file_search.results![0]!.content![0]!.text.startsWith(quote), 'v1 clients are shown the cited passage');
    // A later message of the same run: its calls start after the earlier ones, the marker numbers do not.
    const [later] = tool().messageTouches!([second], 1).annotate('Ninety days【1:0†contract.docx】.');
    assert.equal(later?.type === 'file_citation' && later.file_citation.file_id, 'file-contract');
  });

  it('holds back streamed text only while it may still be a marker', () => {
    const touches = tool().messageTouches!([{ id: 'c', type: 'file_search', file_search: { results: [{ file_id: 'f', file_name: 'a.pdf', score: 1 }] } }], 0);
    for (const [text, open] of [['abc', 3], ['abc【', 3], ['abc【0', 3], ['abc【0:1†a.p', 3], ['abc【0:1†a.pdf】', 14], ['a【x', 3], ['【0:0】 【1', 6]] as const) {
      assert.equal(touches.openFrom(text), open, text);
    }
    assert.equal(touches.openFrom(`【0:0†${'x'.repeat(300)}`), 305, 'a marker that never closes stops holding');
  });
});
