import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import { ProviderError, type ChatEvent } from './chat-model.js';
import { ChunkNormalizer } from './chunk-normalizer.js';

const req = { model: 'm', messages: [{ role: 'user' as const, content: 'hi' }] };
const chunk = (delta: object, finish: string | null = null, extra: object = {}) =>
  ({ id: 'c', object: 'chat.completion.chunk', created: 0, model: 'm', choices: [{ index: 0, delta, finish_reason: finish }], ...extra }) as unknown as ChatCompletionChunk;

function run(chunks: ChatCompletionChunk[]): ChatEvent[] {
  const n = new ChunkNormalizer();
  return [...chunks.flatMap((c) => n.push(c)), ...n.end(req, 'upstream')];
}

test('servers that repeat id and name on every delta: both appear once per call', () => {
  const events = run([
    chunk({ tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'f', arguments: '{"a"' } }] }),
    chunk({ tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'f', arguments: ':1}' } }] }),
    chunk({}, 'tool_calls'),
  ]);
  assert.deepEqual(events.slice(0, 2), [
    { type: 'tool_call', index: 0, id: 'call_1', name: 'f', arguments_delta: '{"a"' },
    { type: 'tool_call', index: 0, arguments_delta: ':1}' },
  ]);
});

test('whole calls without index or id (one per chunk) become separate calls with generated ids', () => {
  const events = run([
    chunk({ tool_calls: [{ type: 'function', function: { name: 'f', arguments: '{}' } }] }),
    chunk({ tool_calls: [{ id: 'call_2', type: 'function', function: { name: 'g', arguments: '{}' } }] }),
    chunk({}, 'stop'),
  ]);
  const calls = events.filter((e) => e.type === 'tool_call');
  assert.equal(calls.length, 2);
  assert.ok(calls[0]!.type === 'tool_call' && /^call_/.test(calls[0]!.id ?? ''));
  assert.ok(calls[1]!.type === 'tool_call' && calls[1]!.index === 1 && calls[1]!.id === 'call_2');
  assert.deepEqual(events.at(-1), { type: 'finish', reason: 'tool_calls' });
});

test('sparse upstream indices are made dense; the last usage seen wins; unknown finish is stop', () => {
  const events = run([
    chunk({ content: 'a' }, null, { usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } }),
    chunk({ content: '' }),
    chunk({}, 'eos', { usage: { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 } }),
  ]);
  assert.deepEqual(events, [
    { type: 'text', delta: 'a' },
    { type: 'usage', prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 },
    { type: 'finish', reason: 'stop' },
  ]);
  const dense = run([chunk({ tool_calls: [{ index: 3, id: 'x', function: { name: 'f', arguments: '' } }] }), chunk({}, 'tool_calls')]);
  assert.equal(dense[0]!.type === 'tool_call' && dense[0]!.index, 0);
});

test('a stream that ends without a finish_reason is an error', () => {
  const n = new ChunkNormalizer();
  n.push(chunk({ content: 'half' }));
  assert.throws(() => n.end(req, 'http://x'), (e: unknown) => e instanceof ProviderError && /without a finish_reason/.test(e.message));
});
