import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import OpenAI, { toFile } from 'openai';
import { loadConfig } from '../../src/config.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { reply, startChatUpstream, type ChatUpstream, type RecordedRequest } from '../support/chat-upstream.js';

// What a run sends upstream (instructions, thread, truncation, formats, images) and the named-scripts API, through
// the official SDK against a real server whose models route to a local chat-completions server.

const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');
const poll = { pollIntervalMs: 20 };
const long = (label: string) => `${label} ${'lorem ipsum dolor sit amet '.repeat(80)}`.trim();

function contents(req: RecordedRequest): Array<[string, unknown]> {
  return req.body.messages.map((m: { role: string; content: unknown }) => [m.role, m.content]);
}

describe('run prompts sent upstream', () => {
  let upstream: ChatUpstream;
  let server: RunningServer;
  let client: OpenAI;
  let dir: string;
  let assistantId: string;

  before(async () => {
    upstream = await startChatUpstream();
    dir = mkdtempSync(join(tmpdir(), 'assistd-prompt-e2e-'));
    const route = (name: string, extra: Record<string, unknown> = {}) => ({ name, provider: 'openai-compatible', base_url: upstream.baseURL, api_key: 'k', ...extra });
    const models = [
      route('vision-model', { supports_vision: true }),
      route('text-model', { supports_vision: false }),
      route('tiny-model', { context_window: 1600 }),
    ];
    server = await startServer(loadConfig({ port: 0, host: '127.0.0.1', data_dir: dir, models }, {}));
    client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'none', maxRetries: 0 });
    assistantId = (await client.beta.assistants.create({ model: 'text-model', instructions: 'Assistant says hi.' })).id;
  });
  after(async () => {
    await server.close();
    await upstream.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Runs to the end and returns the run with the upstream requests it made. */
  async function run(threadId: string, params: Omit<OpenAI.Beta.Threads.RunCreateParamsNonStreaming, 'assistant_id'> = {}) {
    const mark = upstream.requests.length;
    const done = await client.beta.threads.runs.createAndPoll(threadId, { assistant_id: assistantId, ...params }, poll);
    return { run: done, requests: upstream.requests.slice(mark) };
  }

  test('instructions override, additional_instructions and additional_messages', async () => {
    const thread = await client.beta.threads.create({ messages: [{ role: 'user', content: 'first' }] });
    const a = await run(thread.id, { instructions: 'Override.', additional_instructions: 'Extra.', additional_messages: [{ role: 'user', content: 'added' }] });
    assert.equal(a.run.status, 'completed');
    assert.deepEqual(contents(a.requests[0]!), [['system', 'Override.\n\nExtra.'], ['user', 'first'], ['user', 'added']]);

    const b = await run(thread.id, { additional_instructions: 'Extra.' });
    assert.deepEqual(contents(b.requests[0]!), [['system', 'Assistant says hi.\n\nExtra.'], ['user', 'first'], ['user', 'added'], ['assistant', 'Echo: added']]);
  });

  test('truncation last_messages keeps the newest N', async () => {
    const thread = await client.beta.threads.create({ messages: ['one', 'two', 'three', 'four'].map((content) => ({ role: 'user' as const, content })) });
    const { run: done, requests } = await run(thread.id, { truncation_strategy: { type: 'last_messages', last_messages: 2 } });
    assert.equal(done.status, 'completed');
    assert.deepEqual(done.truncation_strategy, { type: 'last_messages', last_messages: 2 });
    assert.deepEqual(contents(requests[0]!), [['system', 'Assistant says hi.'], ['user', 'three'], ['user', 'four']]);
  });

  test('truncation auto drops from the middle to fit a small context window', async () => {
    const messages = ['first question', long('m1'), long('m2'), long('m3'), long('m4'), 'last question'];
    const thread = await client.beta.threads.create({ messages: messages.map((content) => ({ role: 'user' as const, content })) });
    const { run: done, requests } = await run(thread.id, { model: 'tiny-model' });
    assert.equal(done.status, 'completed');
    const sent = contents(requests[0]!).map(([, c]) => String(c).split(' ')[0]);
    // 1600 tokens, a quarter kept for the reply: room for two of the ~400-token messages, never all four.
    assert.deepEqual(sent, ['Assistant', 'first', 'm3', 'm4', 'last']);
  });

  test('a thread created with its run is prompted as the same thread stored first (its first prompt is built without a read)', async () => {
    const messages: OpenAI.Beta.ThreadCreateParams.Message[] = [
      { role: 'user', content: 'first question' },
      { role: 'assistant', content: long('a1') },
      { role: 'user', content: long('u2') },
      { role: 'assistant', content: long('a3') },
      { role: 'user', content: 'last question' },
    ];
    const cases: Array<Omit<OpenAI.Beta.Threads.RunCreateParamsNonStreaming, 'assistant_id'>> = [{}, { model: 'tiny-model' }, { truncation_strategy: { type: 'last_messages', last_messages: 2 } }];
    for (const params of cases) {
      const stored = await run((await client.beta.threads.create({ messages })).id, params);
      const mark = upstream.requests.length;
      const created = await client.beta.threads.createAndRunPoll({ assistant_id: assistantId, thread: { messages }, ...params }, poll);
      assert.equal(created.status, 'completed');
      assert.deepEqual(contents(upstream.requests[mark]!), contents(stored.requests[0]!), JSON.stringify(params));
    }
  });

  test('response_format, tool_choice and parallel_tool_calls are passed through', async () => {
    const thread = await client.beta.threads.create({ messages: [{ role: 'user', content: 'json please' }] });
    upstream.enqueue(reply.text('{"ok": true}'));
    const { run: done, requests } = await run(thread.id, {
      tools: [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object', properties: {} } } }],
      tool_choice: { type: 'function', function: { name: 'lookup' } },
      parallel_tool_calls: false,
      response_format: { type: 'json_schema', json_schema: { name: 'answer', schema: { type: 'object', properties: { ok: { type: 'boolean' } } }, strict: true } },
    });
    assert.equal(done.status, 'completed');
    const body = requests[0]!.body;
    assert.deepEqual(body.tool_choice, { type: 'function', function: { name: 'lookup' } });
    assert.equal(body.parallel_tool_calls, false);
    assert.deepEqual(body.response_format, { type: 'json_schema', json_schema: { name: 'answer', schema: { type: 'object', properties: { ok: { type: 'boolean' } } }, strict: true } });

    const plain = await run(thread.id, { response_format: { type: 'json_object' }, tool_choice: 'none', tools: [] });
    assert.deepEqual(plain.requests[0]!.body.response_format, { type: 'json_object' });
    assert.equal(plain.requests[0]!.body.tool_choice, undefined, 'no tools offered, so no tool_choice');
  });

  test('an image_file message is an image part for a vision model and a placeholder otherwise', async () => {
    const image = await client.files.create({ file: await toFile(PNG, 'dot.png', { type: 'image/png' }), purpose: 'vision' });
    const thread = await client.beta.threads.create({
      messages: [{ role: 'user', content: [{ type: 'text', text: 'what is this?' }, { type: 'image_file', image_file: { file_id: image.id, detail: 'high' } }] }],
    });
    const vision = await run(thread.id, { model: 'vision-model' });
    assert.equal(vision.run.status, 'completed');
    assert.deepEqual(vision.requests[0]!.body.messages[1], {
      role: 'user',
      content: [
        { type: 'text', text: 'what is this?' },
        { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG.toString('base64')}`, detail: 'high' } },
      ],
    });
    const text = await run(thread.id, { model: 'text-model' });
    assert.deepEqual(text.requests[0]!.body.messages[1], { role: 'user', content: `what is this?\n[image dot.png (${image.id}) not shown: this model does not take images]` });
  });

  test('max_prompt_tokens too small for the last message ends the run incomplete without calling upstream', async () => {
    const thread = await client.beta.threads.create({ messages: [{ role: 'user', content: long('huge') }] });
    const { run: done, requests } = await run(thread.id, { max_prompt_tokens: 256 });
    assert.equal(done.status, 'incomplete');
    assert.deepEqual(done.incomplete_details, { reason: 'max_prompt_tokens' });
    assert.equal(requests.length, 0);
  });

  test('an upstream length finish ends the run incomplete with max_completion_tokens', async () => {
    const thread = await client.beta.threads.create({ messages: [{ role: 'user', content: 'tell me a long story' }] });
    upstream.enqueue(reply.text('Once upon a time', { finish_reason: 'length', usage: { prompt_tokens: 20, completion_tokens: 16 } }));
    const { run: done, requests } = await run(thread.id, { max_completion_tokens: 16 });
    assert.equal(requests[0]!.body.max_tokens, 16);
    assert.equal(done.status, 'incomplete');
    assert.deepEqual(done.incomplete_details, { reason: 'max_completion_tokens' });
  });
});

describe('named scripts for the scripted model', () => {
  let server: RunningServer;
  let client: OpenAI;
  let dir: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'assistd-scripts-e2e-'));
    server = await startServer(loadConfig({ port: 0, host: '127.0.0.1', data_dir: dir }, {}));
    client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'none', maxRetries: 0 });
  });
  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('PUT, GET, list and DELETE; a run with scripted:<name> plays it without a restart', async () => {
    const stored = await client.put<any>('/scripts/greeter', { body: { rules: [{ match: '/bonjour/i', steps: [{ text: 'Salut !' }] }, { steps: [{ text: 'Hello, {{last_user}}.' }] }] } });
    assert.equal(stored.object, 'script');
    assert.equal(stored.model, 'scripted:greeter');
    assert.equal(typeof stored.created_at, 'number');
    assert.deepEqual((await client.get<any>('/scripts/greeter')).script, stored.script);

    const assistant = await client.beta.assistants.create({ model: 'scripted:greeter' });
    const ask = async (content: string) => {
      const thread = await client.beta.threads.create({ messages: [{ role: 'user', content }] });
      const done = await client.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id }, poll);
      assert.equal(done.status, 'completed');
      const [message] = (await client.beta.threads.messages.list(thread.id, { run_id: done.id })).data;
      return message!.content.map((c) => (c.type === 'text' ? c.text.value : '')).join('');
    };
    assert.equal(await ask('Bonjour'), 'Salut !');
    assert.equal(await ask('Ada'), 'Hello, Ada.');

    // Replaced in place: the next run plays the new version; a bare list of steps is a script too.
    await client.put('/scripts/greeter', { body: [{ text: 'Version two.' }] });
    assert.equal(await ask('Ada'), 'Version two.');
    await client.put('/scripts/other', { body: { text: 'single step' } });
    const list = await client.get<any>('/scripts', { query: { limit: 1 } });
    assert.deepEqual([list.object, list.data.map((s: { name: string }) => s.name), list.has_more], ['list', ['greeter'], true]);
    const rest = await client.get<any>('/scripts', { query: { after: list.last_id } });
    assert.deepEqual(rest.data.map((s: { name: string }) => s.name), ['other']);

    assert.deepEqual(await client.delete('/scripts/greeter'), { object: 'script.deleted', name: 'greeter', deleted: true });
    await assert.rejects(client.get('/scripts/greeter'), (err: unknown) => err instanceof OpenAI.NotFoundError);
    const thread = await client.beta.threads.create({ messages: [{ role: 'user', content: 'hi' }] });
    const failed = await client.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id }, poll);
    assert.equal(failed.status, 'failed');
    assert.equal(failed.last_error?.code, 'invalid_prompt');
    assert.match(failed.last_error!.message, /no script named "greeter"/);
  });

  test('bad scripts and names are 400s that say what is wrong', async () => {
    const bad = async (path: string, body: unknown) => {
      const err = await client.put(path, { body }).then(() => undefined, (e: unknown) => e);
      assert.ok(err instanceof OpenAI.BadRequestError, `expected 400 for ${JSON.stringify(body)}`);
      return err;
    };
    let err = await bad('/scripts/x', { rules: [{ steps: [{ text: 'a', delay_ms: -1 }] }] });
    assert.equal(err.param, 'rules[0].steps[0].delay_ms');
    err = await bad('/scripts/x', { rules: [{ match: '/(/', steps: [{ text: 'a' }] }] });
    assert.equal(err.param, 'rules[0].match');
    assert.match(err.message, /regular expression/);
    err = await bad('/scripts/x', [{ txt: 'typo' }]);
    assert.equal(err.param, '[0].txt');
    err = await bad('/scripts/x', {});
    assert.match(err.message, /must be a script/);
    await bad('/scripts/x', 'text');
    err = await bad('/scripts/bad%20name', { text: 'a' });
    assert.equal(err.param, 'name');
    await assert.rejects(client.get('/scripts/x'), (e: unknown) => e instanceof OpenAI.NotFoundError);
  });

  test('a run spends max_completion_tokens across its model calls and ends incomplete when none is left', async () => {
    await client.put('/scripts/spender', {
      body: [
        { tool_calls: [{ name: 'lookup', arguments: {} }], usage: { prompt_tokens: 10, completion_tokens: 30 } },
        { text: 'never played' },
      ],
    });
    const tools = [{ type: 'function' as const, function: { name: 'lookup' } }];
    const assistant = await client.beta.assistants.create({ model: 'scripted:spender', tools });
    const thread = await client.beta.threads.create({ messages: [{ role: 'user', content: 'go' }] });
    const first = await client.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id, max_completion_tokens: 30 }, poll);
    assert.equal(first.status, 'requires_action');
    const call = first.required_action!.submit_tool_outputs.tool_calls[0]!;
    const done = await client.beta.threads.runs.submitToolOutputsAndPoll(first.id, { thread_id: thread.id, tool_outputs: [{ tool_call_id: call.id, output: 'x' }] }, poll);
    assert.equal(done.status, 'incomplete');
    assert.deepEqual(done.incomplete_details, { reason: 'max_completion_tokens' });
    assert.equal(done.usage?.completion_tokens, 30);
  });
});
