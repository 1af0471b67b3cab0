import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestServer, type TestServer } from '../support/server.js';

// Every kind of bad input gets the OpenAI error shape and the right status, never a 5xx, and stores nothing.

let server: TestServer;
before(async () => {
  server = await startTestServer({ ASSISTD_MAX_FILE_BYTES: String(64 * 1024), ASSISTD_MAX_BODY_BYTES: String(512 * 1024) });
});
after(() => server.close());

async function call(method: string, path: string, body?: string | object, headers: Record<string, string> = {}) {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    body: typeof body === 'string' ? body : body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: response.status, body: json, headers: response.headers };
}

function assertError(res: { status: number; body: any }, status: number, param?: string | null) {
  assert.equal(res.status, status, JSON.stringify(res.body));
  assert.equal(typeof res.body.error?.message, 'string');
  assert.ok('type' in res.body.error && 'param' in res.body.error && 'code' in res.body.error, JSON.stringify(res.body));
  if (param !== undefined) assert.equal(res.body.error.param, param);
}

async function counts() {
  const client = server.openai();
  return {
    assistants: (await client.beta.assistants.list()).data.length,
    files: (await client.files.list()).data.length,
  };
}

describe('bad input', () => {
  test('malformed JSON on every POST endpoint', async () => {
    const thread = (await call('POST', '/v1/threads', {})).body;
    for (const path of ['/v1/assistants', '/v1/threads', `/v1/threads/${thread.id}`, `/v1/threads/${thread.id}/messages`]) {
      assertError(await call('POST', path, '{"model": "x",'), 400, null);
    }
  });

  test('wrong types and out-of-range values name their param', async () => {
    const before = await counts();
    const cases: Array<[object, string]> = [
      [{ model: 7 }, 'model'],
      [{}, 'model'],
      [{ model: 'm', name: 'x'.repeat(257) }, 'name'],
      [{ model: 'm', description: 'x'.repeat(513) }, 'description'],
      [{ model: 'm', instructions: 'x'.repeat(256_001) }, 'instructions'],
      [{ model: 'm', temperature: 2.5 }, 'temperature'],
      [{ model: 'm', top_p: -0.1 }, 'top_p'],
      [{ model: 'm', tools: [{ type: 'browser' }] }, 'tools[0].type'],
      [{ model: 'm', tools: Array.from({ length: 129 }, () => ({ type: 'code_interpreter' })) }, 'tools'],
      [{ model: 'm', tools: [{ type: 'function', function: { name: 'bad name!' } }] }, 'tools[0].function.name'],
      [{ model: 'm', metadata: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, 'v'])) }, 'metadata'],
      [{ model: 'm', metadata: { ['k'.repeat(65)]: 'v' } }, 'metadata.' + 'k'.repeat(65)],
      [{ model: 'm', metadata: { k: 'v'.repeat(513) } }, 'metadata.k'],
      [{ model: 'm', tool_resources: { code_interpreter: { file_ids: Array.from({ length: 21 }, (_, i) => `file-${i}`) } } }, 'tool_resources.code_interpreter.file_ids'],
      [{ model: 'm', tool_resources: { code_interpreter: { file_ids: ['file-nope'] } } }, 'tool_resources.code_interpreter.file_ids[0]'],
      [{ model: 'm', response_format: { type: 'yaml' } }, 'response_format'],
    ];
    for (const [body, param] of cases) {
      const res = await call('POST', '/v1/assistants', body);
      assertError(res, 400);
      assert.ok(res.body.error.param?.startsWith(param.split('.')[0]!), `${JSON.stringify(body).slice(0, 80)} -> ${res.body.error.param}`);
      assert.equal(res.body.error.param, param, `param for ${JSON.stringify(body).slice(0, 80)}`);
    }
    assert.deepEqual(await counts(), before, 'nothing stored');
  });

  test('list parameters are validated', async () => {
    assertError(await call('GET', '/v1/assistants?limit=0'), 400, 'limit');
    assertError(await call('GET', '/v1/assistants?limit=101'), 400, 'limit');
    assertError(await call('GET', '/v1/assistants?order=sideways'), 400, 'order');
    assertError(await call('GET', '/v1/assistants?after=asst_unknown'), 400, 'after');
  });

  test('messages: bad role, empty parts, unknown attachment file, and nothing stored', async () => {
    const thread = (await call('POST', '/v1/threads', {})).body;
    assertError(await call('POST', `/v1/threads/${thread.id}/messages`, { role: 'system', content: 'x' }), 400, 'role');
    assertError(await call('POST', `/v1/threads/${thread.id}/messages`, { role: 'user', content: [] }), 400, 'content');
    assertError(await call('POST', `/v1/threads/${thread.id}/messages`, { role: 'user', content: 'x', attachments: [{ file_id: 'file-x', tools: [] }] }), 400, 'attachments[0]');
    assertError(await call('POST', '/v1/threads', { messages: [{ role: 'user', content: 'ok' }, { role: 'user', content: 5 }] }), 400, 'messages[1].content');
    const listed = await call('GET', `/v1/threads/${thread.id}/messages`);
    assert.equal(listed.body.data.length, 0);
  });

  test('unknown ids answer 404 on every resource', async () => {
    const thread = (await call('POST', '/v1/threads', {})).body;
    const paths: Array<[string, string, object?]> = [
      ['GET', '/v1/assistants/asst_nope'],
      ['POST', '/v1/assistants/asst_nope', { name: 'x' }],
      ['DELETE', '/v1/assistants/asst_nope'],
      ['GET', '/v1/threads/thread_nope'],
      ['POST', '/v1/threads/thread_nope', {}],
      ['DELETE', '/v1/threads/thread_nope'],
      ['POST', '/v1/threads/thread_nope/messages', { role: 'user', content: 'x' }],
      ['GET', '/v1/threads/thread_nope/messages'],
      ['GET', `/v1/threads/${thread.id}/messages/msg_nope`],
      ['POST', `/v1/threads/${thread.id}/messages/msg_nope`, {}],
      ['DELETE', `/v1/threads/${thread.id}/messages/msg_nope`],
      ['GET', '/v1/files/file-nope'],
      ['GET', '/v1/files/file-nope/content'],
      ['DELETE', '/v1/files/file-nope'],
    ];
    for (const [method, path, body] of paths) assertError(await call(method, path, body), 404);
  });

  test('unknown routes answer 404 in the error shape', async () => {
    const res = await call('GET', '/v1/nothing-here');
    assertError(res, 404);
    assert.equal(res.body.error.message, 'Invalid URL (GET /v1/nothing-here)');
  });

  test('oversize JSON body -> 413', async () => {
    assertError(await call('POST', '/v1/assistants', { model: 'm', instructions: 'x'.repeat(600 * 1024) }), 413);
  });

  test('file uploads: oversize -> 413, missing purpose, bad purpose, unsupported type, not multipart; nothing stored', async () => {
    const before = await counts();
    const upload = async (name: string, size: number, purpose?: string) => {
      const form = new FormData();
      form.append('file', new Blob([Buffer.alloc(size, 97)]), name);
      if (purpose !== undefined) form.append('purpose', purpose);
      const response = await fetch(`${server.url}/v1/files`, { method: 'POST', body: form });
      return { status: response.status, body: (await response.json()) as any };
    };
    assertError(await upload('big.txt', 65 * 1024, 'assistants'), 413);
    assertError(await upload('ok.txt', 10), 400, 'purpose');
    assertError(await upload('ok.txt', 10, 'nonsense'), 400, 'purpose');
    assertError(await upload('virus.exe', 10, 'assistants'), 400, 'file');
    assertError(await call('POST', '/v1/files', { purpose: 'assistants' }), 415);
    assert.deepEqual(await counts(), before);
    assert.equal((await upload('ok.txt', 64 * 1024, 'assistants')).status, 200, 'exactly the limit is fine');
  });
});
