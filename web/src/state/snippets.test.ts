import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pythonLiteral, pythonSnippet, typescriptSnippet, type SnippetInput } from './snippets';

const input: SnippetInput = {
  baseUrl: 'http://127.0.0.1:8080/v1',
  assistant: {
    id: 'asst_1', model: 'gpt-4o', name: 'Helper', instructions: 'Say "hi".', temperature: 0.2, top_p: 1, response_format: 'auto',
    tools: [{ type: 'code_interpreter' }, { type: 'function', function: { name: 'f', parameters: { type: 'object', properties: {}, additionalProperties: false } } }],
    tool_resources: { code_interpreter: { file_ids: ['file-1'] }, file_search: { vector_store_ids: [] } },
  },
  threadId: 'thread_1',
  messages: [
    { role: 'user', content: [{ type: 'text', text: { value: 'hello', annotations: [] } }] },
    { role: 'assistant', content: [{ type: 'text', text: { value: 'ignored', annotations: [] } }] },
  ],
};

test('python literals spell booleans and null the Python way', () => {
  assert.equal(pythonLiteral({ a: true, b: [false, null, 1.5, 'x"y'] }), '{\n    "a": True,\n    "b": [\n        False,\n        None,\n        1.5,\n        "x\\"y",\n    ],\n}');
});

test('snippets carry the settings that differ from the defaults and the user messages', () => {
  const py = pythonSnippet(input);
  assert.match(py, /base_url="http:\/\/127\.0\.0\.1:8080\/v1"/);
  assert.match(py, /model="gpt-4o",\n    name="Helper",\n    instructions="Say \\"hi\\"\.",/);
  assert.match(py, /"additionalProperties": False/);
  assert.match(py, /temperature=0\.2,/);
  assert.doesNotMatch(py, /top_p|response_format|ignored|vector_store_ids/);
  assert.match(py, /"content": "hello"/);
  assert.match(py, /submit_tool_outputs_stream/);
  const ts = typescriptSnippet(input);
  assert.match(ts, /"code_interpreter": \{\n\s+"file_ids": \[\n\s+"file-1"/);
  assert.match(ts, /client\.beta\.threads\.runs\.stream\(thread\.id, \{ assistant_id: assistant\.id \}\)/);
  assert.match(ts, /asst_1 and thread thread_1/);
});
