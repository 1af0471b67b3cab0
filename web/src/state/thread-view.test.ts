import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Message, RunStep } from '../../../src/domain/types';
import { applyRunEvent, emptyThreadView } from './thread-view';

const message = (content: Message['content'] = []): Message => ({
  id: 'msg_1', object: 'thread.message', created_at: 1, thread_id: 'thread_1', status: 'in_progress', incomplete_details: null,
  completed_at: null, incomplete_at: null, role: 'assistant', content, assistant_id: 'asst_1', run_id: 'run_1', attachments: [], metadata: {},
});

test('message deltas grow the text and place annotations by index', () => {
  let view = applyRunEvent(emptyThreadView('thread_1'), 'thread.message.created', message());
  view = applyRunEvent(view, 'thread.message.delta', { id: 'msg_1', delta: { content: [{ index: 0, type: 'text', text: { value: 'Hello ' } }] } });
  const annotation = { index: 0, type: 'file_citation', text: '【0:0†a.txt】', start_index: 6, end_index: 17, file_citation: { file_id: 'file-1' } };
  view = applyRunEvent(view, 'thread.message.delta', { id: 'msg_1', delta: { content: [{ index: 0, type: 'text', text: { value: 'world', annotations: [annotation] } }] } });
  const part = view.messages[0]!.content[0]!;
  assert.equal(part.type === 'text' && part.text.value, 'Hello world');
  assert.deepEqual(part.type === 'text' && part.text.annotations, [{ type: 'file_citation', text: '【0:0†a.txt】', start_index: 6, end_index: 17, file_citation: { file_id: 'file-1' } }]);
  // The completed message replaces what the deltas built, in place.
  view = applyRunEvent(view, 'thread.message.completed', { ...message([{ type: 'text', text: { value: 'final', annotations: [] } }]), status: 'completed' });
  assert.equal(view.messages.length, 1);
  assert.equal(view.messages[0]!.status, 'completed');
});

test('step deltas append code interpreter input and outputs; runs are upserted; error events are kept', () => {
  const step: RunStep = {
    id: 'step_1', object: 'thread.run.step', created_at: 1, run_id: 'run_1', assistant_id: 'asst_1', thread_id: 'thread_1', type: 'tool_calls',
    status: 'in_progress', cancelled_at: null, completed_at: null, expired_at: null, failed_at: null, last_error: null,
    step_details: { type: 'tool_calls', tool_calls: [] }, usage: null, metadata: {},
  };
  let view = applyRunEvent(emptyThreadView(), 'thread.run.created', { id: 'run_1', object: 'thread.run', thread_id: 'thread_1', status: 'queued' });
  assert.equal(view.threadId, 'thread_1');
  view = applyRunEvent(view, 'thread.run.in_progress', { id: 'run_1', object: 'thread.run', thread_id: 'thread_1', status: 'in_progress' });
  assert.deepEqual(view.runs.map((r) => r.status), ['in_progress']);
  view = applyRunEvent(view, 'thread.run.step.created', step);
  const delta = (d: unknown) => ({ id: 'step_1', object: 'thread.run.step.delta', delta: { step_details: { type: 'tool_calls', tool_calls: [d] } } });
  view = applyRunEvent(view, 'thread.run.step.delta', delta({ index: 0, id: 'call_1', type: 'code_interpreter', code_interpreter: { input: 'print(', outputs: [] } }));
  view = applyRunEvent(view, 'thread.run.step.delta', delta({ index: 0, type: 'code_interpreter', code_interpreter: { input: '1)' } }));
  view = applyRunEvent(view, 'thread.run.step.delta', delta({ index: 0, type: 'code_interpreter', code_interpreter: { outputs: [{ index: 0, type: 'logs', logs: '1\n' }] } }));
  assert.deepEqual(view.steps.run_1![0]!.step_details, {
    type: 'tool_calls',
    tool_calls: [{ id: 'call_1', type: 'code_interpreter', code_interpreter: { input: 'print(1)', outputs: [{ type: 'logs', logs: '1\n' }] } }],
  });
  view = applyRunEvent(view, 'error', { message: 'stream broke' });
  assert.equal(view.streamError, 'stream broke');
});
