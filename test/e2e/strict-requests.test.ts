import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import OpenAI, { toFile } from 'openai';
import { startTestServer, type TestServer } from '../support/server.js';

// Strict requests, like the hosted API: an unknown body parameter is a 400 naming it (nested ones by their path),
// every parameter of the openai-node 6.x types is accepted, and so are the seed documents' quirks.

let server: TestServer;
let client: OpenAI;
before(async () => {
  server = await startTestServer();
  client = server.openai();
});
after(() => server.close());

async function post(path: string, body: unknown) {
  const response = await fetch(`${server.url}/v1${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: response.status, body: (await response.json()) as any };
}

function assertUnknown(res: { status: number; body: any }, param: string) {
  assert.equal(res.status, 400, JSON.stringify(res.body));
  assert.deepEqual(res.body, { error: { message: `Unknown parameter: '${param}'.`, type: 'invalid_request_error', param, code: 'unknown_parameter' } });
}

describe('strict requests', () => {
  test('unknown parameters are a 400 naming them, at any depth, and store nothing', async () => {
    const thread = await client.beta.threads.create();
    const vs = await client.vectorStores.create({ name: 'strict' });
    const before = (await client.beta.assistants.list()).data.length;
    const cases: Array<[string, unknown, string]> = [
      ['/assistants', { model: 'scripted', x: 1 }, 'x'],
      ['/assistants', { model: 'scripted', tools: [{ type: 'code_interpreter', foo: true }] }, 'tools[0].foo'],
      ['/assistants', { model: 'scripted', tools: [{ type: 'function', function: { name: 'f', parameters: {}, extra: 1 } }] }, 'tools[0].function.extra'],
      ['/assistants', { model: 'scripted', response_format: { type: 'text', foo: 1 } }, 'response_format.foo'],
      ['/assistants', { model: 'scripted', tool_resources: { code_interpreter: { file_ids: [], bar: 1 } } }, 'tool_resources.code_interpreter.bar'],
      ['/assistants', { model: 'scripted', metadata: {}, name: 'n', temprature: 1 }, 'temprature'],
      ['/threads', { messages: [{ role: 'user', content: 'hi', colour: 'red' }] }, 'messages[0].colour'],
      [`/threads/${thread.id}/messages`, { role: 'user', content: [{ type: 'text', text: 'x', bold: true }] }, 'content[0].bold'],
      [`/threads/${thread.id}/runs`, { assistant_id: 'asst_x', tool_choice: { type: 'function', function: { name: 'f', args: 1 } } }, 'tool_choice.function.args'],
      ['/threads/runs', { assistant_id: 'asst_x', thread: { messages: [], foo: 1 } }, 'thread.foo'],
      ['/vector_stores', { name: 'v', expires_after: { anchor: 'last_active_at', days: 1, hours: 2 } }, 'expires_after.hours'],
      [`/vector_stores/${vs.id}/search`, { query: 'q', filters: { type: 'and', filters: [{ type: 'eq', key: 'a', value: 1, x: 0 }] } }, 'filters.filters[0].x'],
      [`/vector_stores/${vs.id}/files`, { file_id: 'file-x', purpose: 'assistants' }, 'purpose'],
      [`/threads/${thread.id}/runs/run_x/cancel`, { reason: 'bored' }, 'reason'],
    ];
    for (const [path, body, param] of cases) assertUnknown(await post(path, body), param);
    assert.equal((await client.beta.assistants.list()).data.length, before);
    assert.equal((await client.beta.threads.messages.list(thread.id)).data.length, 0);
    assert.equal((await client.vectorStores.list()).data.length, 1);
  });

  test('an unknown multipart field on upload is a 400 naming it', async () => {
    const form = new FormData();
    form.append('purpose', 'assistants');
    form.append('purpse', 'typo');
    form.append('file', new Blob(['hello']), 'a.txt');
    const response = await fetch(`${server.url}/v1/files`, { method: 'POST', body: form });
    assertUnknown({ status: response.status, body: await response.json() }, 'purpse');
  });

  test('every parameter of the SDK types is accepted', async () => {
    const file = await client.files.create({ file: await toFile(Buffer.from('alpha beta'), 'notes.txt'), purpose: 'assistants', expires_after: { anchor: 'created_at', seconds: 3600 } });
    const assistant = await client.beta.assistants.create({
      model: 'scripted',
      name: 'all params',
      description: 'd',
      instructions: 'i',
      reasoning_effort: 'low',
      response_format: { type: 'json_schema', json_schema: { name: 's', description: 'd', schema: { type: 'object' }, strict: true } },
      temperature: 0.5,
      top_p: 0.9,
      metadata: { a: 'b' },
      tools: [
        { type: 'code_interpreter' },
        { type: 'file_search', file_search: { max_num_results: 5, ranking_options: { ranker: 'auto', score_threshold: 0.1 } } },
        { type: 'function', function: { name: 'f', description: 'd', parameters: { type: 'object', properties: {} }, strict: false } },
      ],
      tool_resources: {
        code_interpreter: { file_ids: [file.id] },
        file_search: { vector_stores: [{ file_ids: [file.id], chunking_strategy: { type: 'static', static: { max_chunk_size_tokens: 400, chunk_overlap_tokens: 100 } }, metadata: { k: 'v' } }] },
      },
    });
    await client.beta.assistants.update(assistant.id, { reasoning_effort: 'medium', tool_resources: { file_search: { vector_store_ids: [] } } });
    const thread = await client.beta.threads.create({
      messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }], attachments: [{ file_id: file.id, tools: [{ type: 'code_interpreter' }] }], metadata: {} }],
      metadata: { t: '1' },
      tool_resources: { code_interpreter: { file_ids: [] } },
    });
    const run = await client.beta.threads.runs.createAndPoll(thread.id, {
      assistant_id: assistant.id,
      include: ['step_details.tool_calls[*].file_search.results[*].content'],
      additional_instructions: null,
      additional_messages: [{ role: 'user', content: 'more', attachments: null, metadata: null }],
      instructions: 'x',
      max_completion_tokens: 1000,
      max_prompt_tokens: 10_000,
      metadata: {},
      model: 'scripted',
      parallel_tool_calls: false,
      reasoning_effort: 'high',
      response_format: 'auto',
      temperature: 1,
      tool_choice: 'none',
      tools: [{ type: 'code_interpreter' }],
      top_p: 1,
      truncation_strategy: { type: 'last_messages', last_messages: 10 },
    });
    assert.ok(run.id.startsWith('run_'));
    await client.beta.threads.runs.steps.list(run.id, { thread_id: thread.id, include: ['step_details.tool_calls[*].file_search.results[*].content'], order: 'asc', limit: 5 });
    const created = await client.beta.threads.createAndRun({
      assistant_id: assistant.id,
      thread: { messages: [{ role: 'user', content: 'hello' }] },
      tool_resources: { file_search: { vector_store_ids: [] } },
      parallel_tool_calls: true,
      truncation_strategy: { type: 'auto' },
      tool_choice: { type: 'code_interpreter' },
    });
    await client.beta.threads.runs.update(created.id, { thread_id: created.thread_id, metadata: { done: 'yes' } });

    const vs = await client.vectorStores.create({ name: 'v', description: 'd', file_ids: [file.id], chunking_strategy: { type: 'auto' }, expires_after: { anchor: 'last_active_at', days: 7 }, metadata: {} });
    const other = await client.files.create({ file: await toFile(Buffer.from('gamma'), 'more.txt'), purpose: 'assistants' });
    await client.vectorStores.files.create(vs.id, { file_id: other.id, attributes: { lang: 'en', n: 1, ok: true }, chunking_strategy: { type: 'auto' } });
    await client.vectorStores.files.update(other.id, { vector_store_id: vs.id, attributes: { lang: 'de' } });
    const third = await client.files.create({ file: await toFile(Buffer.from('delta'), 'third.txt'), purpose: 'assistants' });
    await client.vectorStores.fileBatches.create(vs.id, { files: [{ file_id: third.id, attributes: { a: 1 }, chunking_strategy: { type: 'auto' } }] });
    await client.vectorStores.search(vs.id, { query: ['alpha'], filters: { type: 'or', filters: [{ type: 'eq', key: 'lang', value: 'de' }, { type: 'in', key: 'n', value: [1, 2] }] }, max_num_results: 3, ranking_options: { ranker: 'auto', score_threshold: 0 }, rewrite_query: false });
  });

  test("the seed documents' quirks: file_ids on a v2 message, 'code interpreter' with a space", async () => {
    const file = await client.files.create({ file: await toFile(Buffer.from('x'), 'data.txt'), purpose: 'assistants' });
    const azure = server.azure();
    const assistant = await azure.beta.assistants.create({ model: 'scripted', tools: [{ type: 'code interpreter' }] as never, tool_resources: { 'code interpreter': { file_ids: [file.id] } } as never });
    assert.deepEqual(assistant.tool_resources?.code_interpreter?.file_ids, [file.id]);
    assert.deepEqual(assistant.tools, [{ type: 'code_interpreter' }]);
    const thread = await azure.beta.threads.create();
    const message = await azure.beta.threads.messages.create(thread.id, { role: 'user', content: 'look', file_ids: ['file.id'] } as never);
    assert.equal(message.role, 'user');
  });
});
