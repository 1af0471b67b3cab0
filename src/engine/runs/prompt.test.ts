import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import type { BlobStore } from '../../blobs/blob-store.js';
import { createLocalBlobStore } from '../../blobs/local-blob-store.js';
import { ID_PREFIX, newId, nowSeconds } from '../../domain/ids.js';
import { buildMessage, type NewMessage } from '../../domain/messages.js';
import type { FileObject, Message, Run, RunStep } from '../../domain/types.js';
import type { ChatModelInfo } from '../../providers/chat-model.js';
import { countTextTokens, estimatePromptTokens } from '../../providers/token-estimate.js';
import { createStore } from '../../store/create-store.js';
import type { Store } from '../../store/store.js';
import { buildChatRequest, buildPrompt, type PromptTools } from './prompt.js';
import { CompletionBudgetError, ContextWindowError, PromptBudgetError, RunBudgetError } from '../loop/prompt-budget.js';

const P = 'proj';
const noBuiltins: PromptTools = { definitions: [], replay: () => ({ arguments: '{}', output: '' }) };
const model = (over: Partial<ChatModelInfo> = {}): ChatModelInfo => ({
  name: 'm', provider: 'openai-compatible', contextWindow: 128_000, supportsTools: true, supportsVision: false, ...over,
});
// The smallest valid PNG header is enough: the prompt passes bytes through, it does not decode them.
const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');

function newRun(threadId: string, over: Partial<Run> = {}): Run {
  return {
    id: newId(ID_PREFIX.run), object: 'thread.run', created_at: nowSeconds(), thread_id: threadId, assistant_id: 'asst_x',
    status: 'in_progress', required_action: null, last_error: null, expires_at: null, started_at: null, cancelled_at: null,
    failed_at: null, completed_at: null, incomplete_details: null, model: 'm', instructions: 'Be brief.', tools: [], metadata: {},
    usage: null, temperature: 0.5, top_p: 1, max_prompt_tokens: null, max_completion_tokens: null,
    truncation_strategy: { type: 'auto', last_messages: null }, response_format: 'auto', tool_choice: 'auto', parallel_tool_calls: true,
    ...over,
  };
}

function step(run: Run, details: RunStep['step_details']): RunStep {
  return {
    id: newId(ID_PREFIX.step), object: 'thread.run.step', created_at: nowSeconds(), run_id: run.id, assistant_id: run.assistant_id,
    thread_id: run.thread_id, type: details.type, status: 'completed', cancelled_at: null, completed_at: null, expired_at: null,
    failed_at: null, last_error: null, step_details: details, usage: null, metadata: {},
  };
}

function textOf(message: Message): string {
  return message.content.map((c) => (c.type === 'text' ? c.text.value : '')).join('\n');
}

describe('prompt building', () => {
  let dir: string;
  let store: Store;
  let blobs: BlobStore;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'assistd-prompt-'));
    store = createStore({ dataDir: dir });
    await store.migrate();
    blobs = createLocalBlobStore(join(dir, 'files'));
  });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function thread(...messages: Array<NewMessage | string>): Promise<{ id: string; messages: Message[] }> {
    const id = newId(ID_PREFIX.thread);
    const out: Message[] = [];
    for (const m of messages) {
      const message = buildMessage(id, typeof m === 'string' ? { role: out.length % 2 === 0 ? 'user' : 'assistant', content: m } : m);
      await store.messages.insert(P, message);
      out.push(message);
    }
    return { id, messages: out };
  }

  async function file(filename: string, bytes: Buffer): Promise<FileObject> {
    const f: FileObject = { id: newId(ID_PREFIX.file), object: 'file', bytes: bytes.length, created_at: nowSeconds(), filename, purpose: 'vision', status: 'processed', status_details: null };
    await blobs.write(f.id, Readable.from([bytes]), 1 << 20);
    await store.files.insert(P, f);
    return f;
  }

  test('instructions, the thread in order, then the run own turns with tool outputs', async () => {
    const t = await thread('hi', 'hello there', 'weather in Paris?');
    const run = newRun(t.id, { tools: [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object' }, strict: null } }] });
    await store.runSteps.insert(P, step(run, { type: 'tool_calls', tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}', output: 'sunny' } }] }));
    const own = buildMessage(t.id, { role: 'assistant', content: 'Checking more.' }, { run_id: run.id });
    await store.messages.insert(P, own);
    await store.runSteps.insert(P, step(run, { type: 'message_creation', message_creation: { message_id: own.id } }));
    await store.runSteps.insert(P, step(run, { type: 'tool_calls', tool_calls: [{ id: 'call_2', type: 'function', function: { name: 'get_weather', arguments: '{}', output: null } }] }));

    const { request, promptTokens } = await buildPrompt(store, P, run, noBuiltins, { model: model() });
    assert.deepEqual(request.messages, [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'hi' },
      { role: 'assistant', content: 'hello there' },
      { role: 'user', content: 'weather in Paris?' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
      { role: 'tool', tool_call_id: 'call_1', content: 'sunny' },
      { role: 'assistant', content: 'Checking more.' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_2', type: 'function', function: { name: 'get_weather', arguments: '{}' } }] },
    ]);
    assert.deepEqual(request.tools, [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object' } } }]);
    assert.equal(request.parallel_tool_calls, true);
    assert.equal(request.tool_choice, undefined);
    assert.equal(request.temperature, 0.5);
    assert.equal(request.max_tokens, undefined);
    assert.equal(request.response_format, undefined);
    assert.equal(promptTokens, estimatePromptTokens(request.messages, request.tools));
  });

  test('a model without tool support gets no tools', async () => {
    const t = await thread('hi');
    const run = newRun(t.id, { tools: [{ type: 'function', function: { name: 'f' } }], tool_choice: 'required' });
    const request = await buildChatRequest(store, P, run, noBuiltins, { model: model({ supportsTools: false }) });
    assert.equal(request.tools, undefined);
    assert.equal(request.tool_choice, undefined);
  });

  test('response_format and tool_choice in chat-completions shape', async () => {
    const t = await thread('hi');
    const tools: Run['tools'] = [{ type: 'function', function: { name: 'f' } }];
    const builtins: PromptTools = { ...noBuiltins, definitions: [{ type: 'function', function: { name: 'code_interpreter' } }] };
    const cases: Array<[Partial<Run>, unknown, unknown]> = [
      [{ response_format: { type: 'text' }, tool_choice: 'none' }, { type: 'text' }, 'none'],
      [{ response_format: { type: 'json_object' }, tool_choice: 'required' }, { type: 'json_object' }, 'required'],
      [
        { response_format: { type: 'json_schema', json_schema: { name: 'answer', schema: { type: 'object' }, strict: null } }, tool_choice: { type: 'function', function: { name: 'f' } } },
        { type: 'json_schema', json_schema: { name: 'answer', schema: { type: 'object' } } },
        { type: 'function', function: { name: 'f' } },
      ],
      [
        { response_format: { type: 'json_schema', json_schema: { name: 'a', description: 'd', strict: true } }, tool_choice: { type: 'code_interpreter' } },
        { type: 'json_schema', json_schema: { name: 'a', description: 'd', strict: true } },
        { type: 'function', function: { name: 'code_interpreter' } },
      ],
      [{ response_format: null, parallel_tool_calls: false }, undefined, undefined],
    ];
    for (const [over, format, choice] of cases) {
      const request = await buildChatRequest(store, P, newRun(t.id, { tools, ...over }), builtins, { model: model() });
      assert.deepEqual(request.response_format, format);
      assert.deepEqual(request.tool_choice, choice);
      assert.equal(request.parallel_tool_calls, over.parallel_tool_calls ?? true);
      assert.deepEqual(request.tools?.map((x) => x.function.name), ['f', 'code_interpreter']);
    }
  });

  test('images: data URLs with the file type for vision models, placeholders otherwise; attachments named', async () => {
    const png = await file('chart.png', PNG);
    const doc = await file('notes.txt', Buffer.from('x'));
    const gone = newId(ID_PREFIX.file);
    const t = await thread(
      { role: 'user', content: [{ type: 'text', text: 'look' }, { type: 'image_file', image_file: { file_id: png.id, detail: 'low' } }, { type: 'image_url', image_url: { url: 'https://example.com/a.jpg' } }] },
      { role: 'assistant', content: 'A chart.' },
      {
        role: 'user',
        content: [{ type: 'text', text: 'and these' }, { type: 'image_file', image_file: { file_id: gone } }],
        attachments: [{ file_id: doc.id, tools: [{ type: 'file_search' }] }, { file_id: gone, tools: [] }],
      },
    );
    const vision = await buildChatRequest(store, P, newRun(t.id), noBuiltins, { model: model({ supportsVision: true }), blobs });
    assert.deepEqual(vision.messages[1], {
      role: 'user',
      content: [
        { type: 'text', text: 'look' },
        { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG.toString('base64')}`, detail: 'low' } },
        { type: 'image_url', image_url: { url: 'https://example.com/a.jpg' } },
      ],
    });
    assert.deepEqual(vision.messages[3], {
      role: 'user',
      content: `and these\n[image ${gone} not shown: the file was deleted]\n[attached files: notes.txt (${doc.id}) (for file_search); ${gone}]`,
    });

    const text = await buildChatRequest(store, P, newRun(t.id), noBuiltins, { model: model(), blobs });
    assert.deepEqual(text.messages[1], {
      role: 'user',
      content: `look\n[image chart.png (${png.id}) not shown: this model does not take images]\n[image https://example.com/a.jpg not shown: this model does not take images]`,
    });
  });

  test('last_messages keeps the newest N thread messages', async () => {
    const t = await thread('one', 'two', 'three', 'four');
    const { request } = await buildPrompt(store, P, newRun(t.id, { truncation_strategy: { type: 'last_messages', last_messages: 2 } }), noBuiltins, { model: model() });
    assert.deepEqual(request.messages.map((m) => m.content), ['Be brief.', 'three', 'four']);
  });

  test('a long thread is read only as far back as could fit: the first question, then the newest that fit', async () => {
    const body = (i: number) => `m${i} ${'lorem ipsum dolor sit amet '.repeat(5)}`.trim();
    const t = await thread('first question', ...Array.from({ length: 448 }, (_v, i) => body(i + 1)), 'last question');
    let pages = 0;
    const counting: Store = { ...store, threadMessages: { ...store.threadMessages, page: (...args) => (pages++, store.threadMessages.page(...args)) } };
    const { request } = await buildPrompt(counting, P, newRun(t.id), noBuiltins, { model: model({ contextWindow: 2000 }) });
    const labels = request.messages.map((m) => String(m.content).split(' ')[0]);
    assert.deepEqual(labels.slice(0, 2), ['Be', 'first']);
    assert.equal(labels.at(-1), 'last');
    const tail = labels.slice(2, -1).map((l) => Number(l.slice(1)));
    assert.ok(tail.length >= 10, `${tail.length} kept`);
    assert.deepEqual(tail, Array.from({ length: tail.length }, (_v, i) => 448 - tail.length + 1 + i));
    // One page of the newest messages and one of the oldest (for the first question), not all five.
    assert.equal(pages, 2);

    pages = 0;
    const last = await buildPrompt(counting, P, newRun(t.id, { truncation_strategy: { type: 'last_messages', last_messages: 300 } }), noBuiltins, { model: model() });
    assert.equal(last.request.messages.length, 301);
    assert.equal(String(last.request.messages[1]!.content).split(' ')[0], 'm150');
    // Pages grow (100, then 400): two reads for 300 messages.
    assert.equal(pages, 2);
    const all = await buildPrompt(store, P, newRun(t.id), noBuiltins, { model: model() });
    assert.equal(all.request.messages.length, 451);
  });

  test('stored token counts give the prompt a full recount gives, and a rewritten message is counted again', async () => {
    const body = (i: number) => `m${i} ${'lorem ipsum dolor sit amet '.repeat((i % 7) + 1)}`.trim();
    const t = await thread('first question', ...Array.from({ length: 120 }, (_v, i) => body(i + 1)), 'last question');
    const models = [model(), model({ contextWindow: 2500 })];
    const recount = async (m: ChatModelInfo) => {
      // A store whose counts are never kept: every run counts every message afresh.
      const uncounted: Store = {
        ...store,
        threadMessages: { page: async (...args) => (await store.threadMessages.page(...args)).map((c) => ({ ...c, tokens: null })), recordTokens: async () => {} },
      };
      return buildPrompt(uncounted, P, newRun(t.id), noBuiltins, { model: m });
    };
    const stored = async () => (await store.threadMessages.page(P, t.id, { order: 'asc', limit: 200 })).map((c) => c.tokens);
    assert.ok((await stored()).every((n) => n === null));
    for (const m of models) await buildPrompt(store, P, newRun(t.id), noBuiltins, { model: m });
    // Recorded off the run's path: give the write a moment.
    for (let i = 0; i < 50 && (await stored()).some((n) => n === null); i++) await new Promise((r) => setTimeout(r, 10));
    const counts = await stored();
    assert.deepEqual(counts, t.messages.map((m) => estimatePromptTokens([{ role: m.role, content: textOf(m) }]) - estimatePromptTokens([])));
    for (const m of models) assert.deepEqual(await buildPrompt(store, P, newRun(t.id), noBuiltins, { model: m }), await recount(m));

    const rewritten = { ...t.messages[120]!, content: [{ type: 'text' as const, text: { value: 'short now', annotations: [] } }] };
    await store.messages.replace(P, rewritten);
    assert.equal((await stored())[120], null);
    for (const m of models) assert.deepEqual(await buildPrompt(store, P, newRun(t.id), noBuiltins, { model: m }), await recount(m));
  });

  test('a message read by its stored prompt text is sent as the whole message would be, rows from before 0017 included', async () => {
    const t = await thread(
      { role: 'user', content: [{ type: 'text', text: 'a' }, { type: 'text', text: '' }] },
      { role: 'assistant', content: [{ type: 'text', text: '' }, { type: 'text', text: 'b' }] },
      { role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://example.com/c.png' } }] },
    );
    const refusal = buildMessage(t.id, { role: 'assistant', content: 'x' });
    await store.messages.insert(P, { ...refusal, content: [{ type: 'refusal', refusal: 'no can do' }] });
    await store.messages.insert(P, buildMessage(t.id, { role: 'user', content: 'last' }));
    const { request } = await buildPrompt(store, P, newRun(t.id), noBuiltins, { model: model() });
    assert.deepEqual(request.messages.map((m) => m.content), ['Be brief.', 'a\n', 'b', '[image https://example.com/c.png not shown: this model does not take images]', 'no can do', 'last']);
    // Rows written before the prompt text was stored have neither it nor the role: the message is read whole.
    const old: Store = {
      ...store,
      threadMessages: {
        ...store.threadMessages,
        page: async (...args) => Promise.all((await store.threadMessages.page(...args)).map(async (c) => ({ ...c, text: null, message: c.message ?? (await store.messages.get(P, c.id))! }))),
      },
    };
    assert.deepEqual(await buildPrompt(old, P, newRun(t.id), noBuiltins, { model: model() }), await buildPrompt(store, P, newRun(t.id), noBuiltins, { model: model() }));
  });

  test('auto drops from the middle to fit the context window, never the run own turns', async () => {
    const long = (label: string) => `${label} ${'lorem ipsum dolor sit amet '.repeat(60)}`.trim();
    const t = await thread('first question', long('a1'), long('u2'), long('a2'), long('u3'), long('a3'), 'last question');
    const run = newRun(t.id, { tools: [{ type: 'function', function: { name: 'f' } }] });
    await store.runSteps.insert(P, step(run, { type: 'tool_calls', tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'f', arguments: '{}', output: long('output') } }] }));
    const per = countTextTokens(long('a1'));
    // A window whose prompt part (three quarters) holds the expected messages and half a long one more.
    const full = await buildPrompt(store, P, run, noBuiltins, { model: model() });
    const expected = full.request.messages.filter((_m, i) => ![2, 3, 4, 5].includes(i));
    const window = Math.ceil((estimatePromptTokens(expected, full.request.tools) + per / 2) / 0.75);
    const { request, promptTokens } = await buildPrompt(store, P, run, noBuiltins, { model: model({ contextWindow: window }) });
    const contents = request.messages.map((m) => (typeof m.content === 'string' ? m.content.split(' ')[0] : m.role));
    assert.deepEqual(contents, ['Be', 'first', 'a3', 'last', 'assistant', 'output']);
    assert.ok(promptTokens <= window - Math.floor(window / 4), `${promptTokens} tokens in a window of ${window}`);
  });

  test('max_prompt_tokens is a budget across the run: what earlier calls used is gone', async () => {
    const t = await thread('one', 'two', 'three');
    const full = await buildPrompt(store, P, newRun(t.id), noBuiltins, { model: model() });
    const exact = await buildPrompt(store, P, newRun(t.id, { max_prompt_tokens: 1000, usage: { prompt_tokens: 1000 - full.promptTokens, completion_tokens: 0, total_tokens: 0 } }), noBuiltins, { model: model() });
    assert.equal(exact.request.messages.length, full.request.messages.length);
    const tight = await buildPrompt(store, P, newRun(t.id, { max_prompt_tokens: 1000, usage: { prompt_tokens: 1001 - full.promptTokens, completion_tokens: 0, total_tokens: 0 } }), noBuiltins, { model: model() });
    assert.deepEqual(tight.request.messages.map((m) => m.content), ['Be brief.', 'one', 'three']);

    const spent = newRun(t.id, { max_prompt_tokens: 1000, usage: { prompt_tokens: 995, completion_tokens: 0, total_tokens: 995 } });
    const err = await buildPrompt(store, P, spent, noBuiltins, { model: model() }).catch((e: unknown) => e);
    assert.ok(err instanceof PromptBudgetError && err instanceof RunBudgetError);
    assert.equal(err.incompleteReason, 'max_prompt_tokens');
    assert.equal(err.remaining, 5);
  });

  test('max_completion_tokens: max_tokens is what is left, and nothing left throws', async () => {
    const t = await thread('hi');
    const used = (n: number) => ({ prompt_tokens: 10, completion_tokens: n, total_tokens: 10 + n });
    assert.equal((await buildChatRequest(store, P, newRun(t.id, { max_completion_tokens: 500 }), noBuiltins, { model: model() })).max_tokens, 500);
    assert.equal((await buildChatRequest(store, P, newRun(t.id, { max_completion_tokens: 500, usage: used(420) }), noBuiltins, { model: model() })).max_tokens, 80);
    const err = await buildChatRequest(store, P, newRun(t.id, { max_completion_tokens: 500, usage: used(500) }), noBuiltins, { model: model() }).catch((e: unknown) => e);
    assert.ok(err instanceof CompletionBudgetError);
    assert.equal(err.incompleteReason, 'max_completion_tokens');
  });

  test('a prompt that cannot fit the model at all fails as invalid_prompt', async () => {
    const t = await thread('word '.repeat(300));
    const err = await buildChatRequest(store, P, newRun(t.id), noBuiltins, { model: model({ contextWindow: 200 }) }).catch((e: unknown) => e);
    assert.ok(err instanceof ContextWindowError);
    assert.equal(err.code, 'invalid_prompt');
    // Over only because of the reply's reserve: sent with less room for the reply.
    const fits = await buildPrompt(store, P, newRun(t.id, { max_completion_tokens: 1000 }), noBuiltins, { model: model({ contextWindow: 360 }) });
    assert.ok(fits.promptTokens > 360 - 90 && fits.request.max_tokens === 360 - fits.promptTokens);
  });
});
