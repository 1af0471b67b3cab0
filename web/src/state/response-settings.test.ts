import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_SETTINGS, requestParams } from './response-settings';
import { responsesJsSnippet, responsesPythonSnippet } from './response-snippets';

test('settings become create parameters: flat function tools, file_search with its stores, and the includes', () => {
  const fn = JSON.stringify({ name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } });
  const built = requestParams({ ...DEFAULT_SETTINGS, model: ' scripted ', instructions: 'Be brief.', functions: [fn], fileSearch: true, vectorStoreIds: ['vs_1'], codeInterpreter: true });
  assert.deepEqual(built, {
    ok: true,
    params: {
      model: 'scripted',
      instructions: 'Be brief.',
      tools: [
        { type: 'function', name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
        { type: 'file_search', vector_store_ids: ['vs_1'] },
        { type: 'code_interpreter', container: { type: 'auto' } },
      ],
      include: ['file_search_call.results', 'code_interpreter_call.outputs'],
    },
  });
  assert.deepEqual(requestParams({ ...DEFAULT_SETTINGS, model: 'm' }), { ok: true, params: { model: 'm' } });
  assert.equal(requestParams(DEFAULT_SETTINGS).ok, false);
  assert.match((requestParams({ ...DEFAULT_SETTINGS, model: 'm', functions: ['{'] }) as { error: string }).error, /^Function 1:/);
  assert.match((requestParams({ ...DEFAULT_SETTINGS, model: 'm', fileSearch: true }) as { error: string }).error, /vector store/);
});

test('the snippets stream a response in the conversation with the settings and the input', () => {
  const params = { model: 'scripted', tools: [{ type: 'function', name: 'f', parameters: { type: 'object', properties: {} } }] };
  const js = responsesJsSnippet({ baseUrl: 'http://h/v1', params, conversationId: 'conv_1', input: 'Hi "there"' });
  assert.match(js, /const conversation = \{ id: "conv_1" \};/);
  assert.match(js, /client\.responses\.stream\(\{\n {2}"model": "scripted",[\s\S]*"input": "Hi \\"there\\"",\n {2}"conversation": conversation\.id\n\}\);/);
  assert.match(js, /function_call_output/);
  const py = responsesPythonSnippet({ baseUrl: 'http://h/v1', params: { model: 'scripted' }, conversationId: null, input: 'Hi' });
  assert.match(py, /conversation_id = client\.conversations\.create\(\)\.id/);
  assert.match(py, /with client\.responses\.stream\(\n {4}model="scripted",\n {4}conversation=conversation_id,\n {4}input="Hi",\n\) as stream:/);
  assert.doesNotMatch(py, /function_call_output/);
});
