import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyResponseEvent, emptyConversationView, outputOf, pendingCalls, type ConversationView } from './conversation-view';

const response = (status: string, output: unknown[] = []) => ({ id: 'resp_1', object: 'response', status, output }) as never;

function play(events: Array<[string, Record<string, unknown>]>, from: ConversationView = emptyConversationView('conv_1')): ConversationView {
  return events.reduce((view, [type, data]) => applyResponseEvent(view, type, data as never), from);
}

test('streams a message: parts, text deltas and annotations land on the item and on the response output', () => {
  const view = play([
    ['response.created', { response: response('in_progress') }],
    ['response.output_item.added', { output_index: 0, item: { id: 'fs_1', type: 'file_search_call', status: 'in_progress', queries: ['q'], results: null } }],
    ['response.file_search_call.searching', { item_id: 'fs_1' }],
    ['response.output_item.added', { output_index: 1, item: { id: 'msg_1', type: 'message', role: 'assistant', status: 'in_progress', content: [] } }],
    ['response.content_part.added', { item_id: 'msg_1', content_index: 0, part: { type: 'output_text', text: '', annotations: [] } }],
    ['response.output_text.delta', { item_id: 'msg_1', content_index: 0, delta: 'Hel' }],
    ['response.output_text.delta', { item_id: 'msg_1', content_index: 0, delta: 'lo.' }],
    ['response.output_text.annotation.added', { item_id: 'msg_1', content_index: 0, annotation_index: 0, annotation: { type: 'file_citation', file_id: 'file-1', filename: 'a.md', index: 6 } }],
  ]);
  const message = view.items.find((i) => i.id === 'msg_1') as { content: Array<{ text: string; annotations: unknown[] }> };
  assert.equal(message.content[0]!.text, 'Hello.');
  assert.equal(message.content[0]!.annotations.length, 1);
  assert.equal((view.items.find((i) => i.id === 'fs_1') as { status: string }).status, 'searching');
  assert.deepEqual(view.responses[0]!.output.map((i) => i.id), ['fs_1', 'msg_1']);
  assert.equal((view.responses[0]!.output[1] as unknown as typeof message).content[0]!.text, 'Hello.');

  const done = play([['response.completed', { response: response('completed', [{ id: 'msg_1', type: 'message', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: 'Hello.', annotations: [] }] }]) }]], view);
  assert.equal(done.responses[0]!.status, 'completed');
  assert.equal((done.items.find((i) => i.id === 'msg_1') as { status: string }).status, 'completed');
});

test('function call arguments and code interpreter code stream in; error events are kept', () => {
  const view = play([
    ['response.created', { response: response('in_progress') }],
    ['response.output_item.added', { output_index: 0, item: { id: 'fc_1', type: 'function_call', status: 'in_progress', call_id: 'call_1', name: 'f', arguments: '' } }],
    ['response.function_call_arguments.delta', { item_id: 'fc_1', delta: '{"a":' }],
    ['response.function_call_arguments.delta', { item_id: 'fc_1', delta: '1}' }],
    ['response.output_item.added', { output_index: 1, item: { id: 'ci_1', type: 'code_interpreter_call', status: 'in_progress', code: null, container_id: 'cntr_1', outputs: null } }],
    ['response.code_interpreter_call_code.delta', { item_id: 'ci_1', delta: 'print(' }],
    ['response.code_interpreter_call.interpreting', { item_id: 'ci_1' }],
    ['error', { message: 'boom' }],
  ]);
  assert.equal((view.items[0] as { arguments: string }).arguments, '{"a":1}');
  assert.equal((view.items[1] as { code: string }).code, 'print(');
  assert.equal((view.items[1] as { status: string }).status, 'interpreting');
  assert.equal(view.streamError, 'boom');
  assert.deepEqual(pendingCalls(view.items).map((c) => c.call_id), ['call_1']);
  const answered = [...view.items, { id: 'fco_1', type: 'function_call_output', status: 'completed', call_id: 'call_1', output: '42' } as never];
  assert.deepEqual(pendingCalls(answered), []);
  assert.equal(outputOf(answered, 'call_1')?.output, '42');
});
