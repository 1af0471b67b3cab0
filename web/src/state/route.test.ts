import assert from 'node:assert/strict';
import { test } from 'node:test';
import { appRoot, parsePage, parseRoute } from './route';

test('reads the assistant, thread and page from the address, behind a path prefix too', () => {
  assert.deepEqual(parseRoute('/assistants/asst_1/threads/thread_2'), { assistantId: 'asst_1', threadId: 'thread_2' });
  assert.deepEqual(parseRoute('/threads/thread_2'), { assistantId: null, threadId: 'thread_2' });
  assert.deepEqual(parseRoute('/'), { assistantId: null, threadId: null });
  assert.equal(appRoot('/assistants/asst_1/threads/thread_2'), '/');
  assert.equal(appRoot('/ai/playground/assistants/asst_1'), '/ai/playground/');
  assert.equal(appRoot('/ai/index.html'), '/ai/');
  assert.deepEqual(parsePage('/ai/stores/vs_9'), { page: 'stores', storeId: 'vs_9' });
  assert.deepEqual(parsePage('/stores'), { page: 'stores', storeId: null });
  assert.deepEqual(parsePage('/files'), { page: 'files' });
  assert.deepEqual(parsePage('/assistants/asst_1'), { page: 'chat' });
  assert.deepEqual(parsePage('/responses'), { page: 'responses', conversationId: null });
  assert.deepEqual(parsePage('/ai/responses/conv_7'), { page: 'responses', conversationId: 'conv_7' });
  assert.equal(appRoot('/ai/responses/conv_7'), '/ai/');
});
