import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import OpenAI, { toFile } from 'openai';
import { loadConfig } from '../../src/config.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { reply, startChatUpstream, type ChatUpstream, type RecordedRequest } from '../support/chat-upstream.js';

// What a response sends to a real chat-completions upstream (chains, conversations, tools, formats, truncation)
// and what comes back, through the official SDK.

const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');
const long = (label: string) => `${label} ${'lorem ipsum dolor sit amet '.repeat(80)}`.trim();

function contents(req: RecordedRequest): Array<[string, unknown]> {
  return req.body.messages.map((m: { role: string; content: unknown }) => [m.role, m.content]);
}

describe('responses over a chat-completions upstream', () => {
  let upstream: ChatUpstream;
  let server: RunningServer;
  let client: OpenAI;
  let dir: string;

  before(async () => {
    upstream = await startChatUpstream();
    dir = mkdtempSync(join(tmpdir(), 'assistd-responses-e2e-'));
    const route = (name: string, extra: Record<string, unknown> = {}) => ({ name, provider: 'openai-compatible', base_url: upstream.baseURL, api_key: 'k', ...extra });
    const models = [route('gpt-test'), route('tiny-model', { context_window: 1600 }), route('vision-model', { supports_vision: true }), route('text-model', { supports_vision: false })];
    server = await startServer(loadConfig({ port: 0, host: '127.0.0.1', data_dir: dir, models }, {}));
    client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'none', maxRetries: 0 });
  });
  after(async () => {
    await server.close();
    await upstream.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function sent<T>(fn: () => Promise<T>): Promise<{ result: T; requests: RecordedRequest[] }> {
    const mark = upstream.requests.length;
    const result = await fn();
    return { result, requests: upstream.requests.slice(mark) };
  }

  test('a chain with a function call replays every item; tools, choice, format and limits are passed on', async () => {
    const tools: OpenAI.Responses.Tool[] = [{ type: 'function', name: 'lookup', description: 'look up', parameters: { type: 'object', properties: { q: { type: 'string' } } }, strict: null }];
    upstream.enqueue(reply.text('Hello Ada'));
    const r1 = await client.responses.create({ model: 'gpt-test', instructions: 'Be kind.', input: 'I am Ada' });
    assert.equal(r1.output_text, 'Hello Ada');

    upstream.enqueue(reply.toolCalls([{ id: 'call_up1', name: 'lookup', arguments: '{"q":"tea"}' }]));
    const { result: r2, requests: [req2] } = await sent(() =>
      client.responses.create({ model: 'gpt-test', previous_response_id: r1.id, input: 'find tea', tools, tool_choice: { type: 'function', name: 'lookup' }, parallel_tool_calls: false, temperature: 0.2, max_output_tokens: 300 }),
    );
    assert.deepEqual(contents(req2!), [['user', 'I am Ada'], ['assistant', 'Hello Ada'], ['user', 'find tea']], 'instructions do not carry over a chain');
    assert.deepEqual(req2!.body.tools, [{ type: 'function', function: { name: 'lookup', description: 'look up', parameters: { type: 'object', properties: { q: { type: 'string' } } } } }]);
    assert.deepEqual(req2!.body.tool_choice, { type: 'function', function: { name: 'lookup' } });
    assert.equal(req2!.body.parallel_tool_calls, false);
    assert.equal(req2!.body.temperature, 0.2);
    assert.equal(req2!.body.max_tokens ?? req2!.body.max_completion_tokens, 300);
    const call = r2.output[0]!;
    assert.ok(call.type === 'function_call' && call.call_id === 'call_up1' && call.arguments === '{"q":"tea"}');
    assert.equal((r2.tools[0] as OpenAI.Responses.FunctionTool).strict, true, 'function tools are strict by default');

    upstream.enqueue(reply.text('{"tea":"green"}'));
    const { result: r3, requests: [req3] } = await sent(() =>
      client.responses.create({
        model: 'gpt-test',
        previous_response_id: r2.id,
        input: [{ type: 'function_call_output', call_id: 'call_up1', output: 'green tea' }],
        text: { format: { type: 'json_schema', name: 'answer', schema: { type: 'object', properties: { tea: { type: 'string' } } }, strict: true } },
      }),
    );
    assert.equal(r3.output_text, '{"tea":"green"}');
    assert.deepEqual(req3!.body.messages.slice(2), [
      { role: 'user', content: 'find tea' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_up1', type: 'function', function: { name: 'lookup', arguments: '{"q":"tea"}' } }] },
      { role: 'tool', tool_call_id: 'call_up1', content: 'green tea' },
    ]);
    assert.deepEqual(req3!.body.response_format, { type: 'json_schema', json_schema: { name: 'answer', schema: { type: 'object', properties: { tea: { type: 'string' } } }, strict: true } });
  });

  test('a conversation is the context of its responses', async () => {
    const conversation = await client.conversations.create({ items: [{ role: 'developer', content: 'Answer in French.' }, { role: 'user', content: 'hi' }, { role: 'assistant', content: 'salut' }] });
    upstream.enqueue(reply.text('bien'));
    const { requests } = await sent(() => client.responses.create({ model: 'gpt-test', conversation: { id: conversation.id }, input: 'how are you?' }));
    assert.deepEqual(contents(requests[0]!), [['system', 'Answer in French.'], ['user', 'hi'], ['assistant', 'salut'], ['user', 'how are you?']]);
    upstream.enqueue(reply.text('oui'));
    const { requests: next } = await sent(() => client.responses.create({ model: 'gpt-test', conversation: conversation.id, input: 'really?' }));
    assert.deepEqual(contents(next[0]!).slice(-3), [['user', 'how are you?'], ['assistant', 'bien'], ['user', 'really?']]);
  });

  test('streamed parallel tool calls from the upstream, interleaved, equal the stored response', async () => {
    upstream.enqueue(reply.toolCalls([{ name: 'lookup', arguments: '{"q":"one"}' }, { name: 'lookup', arguments: '{"q":"two"}' }], { interleave: true }));
    const stream = client.responses.stream({ model: 'gpt-test', input: 'two lookups', tools: [{ type: 'function', name: 'lookup', parameters: null, strict: false }] });
    const deltas: Array<[number, string]> = [];
    stream.on('response.function_call_arguments.delta', (e) => deltas.push([e.output_index, e.delta]));
    const final = await stream.finalResponse();
    assert.deepEqual(final.output.map((o) => o.type === 'function_call' && o.arguments), ['{"q":"one"}', '{"q":"two"}']);
    assert.equal(deltas.filter(([i]) => i === 0).map(([, d]) => d).join(''), '{"q":"one"}');
    assert.deepEqual(deltas.map(([i]) => i), [...deltas.map(([i]) => i)].sort(), 'one item at a time');
    const stored = await client.responses.retrieve(final.id);
    assert.deepEqual(stored.output, JSON.parse(JSON.stringify(final.output, (k, v) => (k === 'parsed_arguments' ? undefined : v))));
  });

  test('truncation: disabled refuses a prompt over the context window, auto drops the oldest items', async () => {
    const conversation = await client.conversations.create({ items: ['one', long('m1'), long('m2'), long('m3'), long('m4')].map((content) => ({ role: 'user' as const, content })) });
    const refused = await client.responses.create({ model: 'tiny-model', conversation: conversation.id, input: 'last' }).catch((err) => err);
    assert.equal(refused.status, 400);
    assert.equal(refused.error.code, 'context_length_exceeded');
    upstream.enqueue(reply.text('ok'));
    const { result, requests } = await sent(() => client.responses.create({ model: 'tiny-model', conversation: conversation.id, input: 'last', truncation: 'auto' }));
    assert.equal(result.status, 'completed');
    assert.equal(result.truncation, 'auto');
    const words = contents(requests[0]!).map(([, c]) => String(c).split(' ')[0]);
    assert.equal(words.at(-1), 'last');
    assert.ok(!words.includes('one') && !words.includes('m1') && words.length >= 2, `oldest dropped: ${words.join(',')}`);
  });

  test('images by URL and by file id: image parts for a vision model, a note for others', async () => {
    const image = await client.files.create({ file: await toFile(PNG, 'dot.png', { type: 'image/png' }), purpose: 'vision' });
    const input: OpenAI.Responses.ResponseInput = [{ role: 'user', content: [{ type: 'input_text', text: 'what is this?' }, { type: 'input_image', file_id: image.id, detail: 'high' }, { type: 'input_image', image_url: 'https://example.com/a.png', detail: 'auto' }] }];
    const vision = await sent(() => client.responses.create({ model: 'vision-model', input }));
    assert.deepEqual(vision.requests[0]!.body.messages[0], {
      role: 'user',
      content: [
        { type: 'text', text: 'what is this?' },
        { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG.toString('base64')}`, detail: 'high' } },
        { type: 'image_url', image_url: { url: 'https://example.com/a.png', detail: 'auto' } },
      ],
    });
    const items = await client.responses.inputItems.list(vision.result.id);
    assert.deepEqual((items.data[0] as { content: unknown[] }).content[1], { type: 'input_image', file_id: image.id, detail: 'high' }, 'the stored item keeps the file id');
    const text = await sent(() => client.responses.create({ model: 'text-model', input }));
    const content = text.requests[0]!.body.messages[0].content;
    assert.equal(typeof content, 'string');
    assert.match(content, /^what is this\?\n\[image dot\.png \(file-\w+\) not shown: this model does not take images\]\n\[image not shown/);
    const missing = await client.responses.create({ model: 'vision-model', input: [{ role: 'user', content: [{ type: 'input_image', file_id: 'file-missing', detail: 'auto' }] }] }).catch((err) => err);
    assert.equal(missing.status, 400);
    assert.equal(missing.error.param, 'input[0]');
  });

  test('an upstream failure fails the response with the hosted error code', async () => {
    upstream.enqueue(reply.error(400, 'bad prompt'));
    const failed = await client.responses.create({ model: 'gpt-test', input: 'x' });
    assert.equal(failed.status, 'failed');
    assert.equal(failed.error?.code, 'invalid_prompt');
    assert.doesNotMatch(failed.error!.message, /127\.0\.0\.1/);
  });
});
