import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { toFile } from 'openai';
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
    vectorStores: (await client.vectorStores.list()).data.length,
  };
}

/** Sends raw bytes on a socket and returns what came back before the server closed it. */
function rawRequest(data: string): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const socket = connect(Number(new URL(server.url).port), '127.0.0.1', () => socket.write(data));
    let out = '';
    socket.on('data', (chunk) => (out += chunk));
    socket.on('error', () => {});
    socket.on('close', () => {
      const [head, ...rest] = out.split('\r\n\r\n');
      if (!head) return reject(new Error('no response'));
      resolve({ status: Number(head.split(' ')[1]), body: JSON.parse(rest.join('\r\n\r\n')) });
    });
  });
}

function nested(levels: number, leaf: string, wrap: (inner: string) => string): string {
  let out = leaf;
  for (let i = 0; i < levels; i++) out = wrap(out);
  return out;
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

  test('a body that is not an object (null, an array, a number, a string) -> 400, nothing stored', async () => {
    const before = await counts();
    for (const path of ['/v1/threads', '/v1/assistants', '/v1/vector_stores']) {
      for (const body of ['null', '[]', '[{"model":"m"}]', '42', '"x"', 'true']) assertError(await call('POST', path, body), 400, null);
    }
    assertError(await call('POST', '/v1/threads', 'hello', { 'content-type': 'text/plain' }), 400, null);
    assert.deepEqual(await counts(), before);
    assert.equal((await call('POST', '/v1/threads', '')).status, 200, 'an empty body is no parameters');
  });

  test('strings a database cannot store (invalid UTF-8, lone surrogates, NUL) -> 400 naming the param, nothing stored', async () => {
    const before = await counts();
    const invalidUtf8 = Buffer.concat([Buffer.from('{"name":"'), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('"}')]);
    const res = await fetch(`${server.url}/v1/vector_stores`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: invalidUtf8 });
    assertError({ status: res.status, body: await res.json() }, 400, null);
    assertError(await call('POST', '/v1/vector_stores', '{"name":"a\\ud800b"}'), 400, 'name');
    assertError(await call('POST', '/v1/vector_stores', { name: 'a\u0000b' }), 400, 'name');
    assertError(await call('POST', '/v1/vector_stores', { metadata: { 'k\u0000': 'v' } }), 400, 'metadata.k\u0000');
    assertError(await call('POST', '/v1/assistants', { model: 'm', tools: [{ type: 'function', function: { name: 'f', parameters: { d: '\u0000' } } }] }), 400, 'tools[0].function.parameters.d');
    assert.deepEqual(await counts(), before);
  });

  test('deeply nested JSON -> 400 naming the param, not a 500', async () => {
    const schema = nested(5000, '{}', (inner) => `{"type":"object","properties":{"a":${inner}}}`);
    const tool = `{"model":"m","tools":[{"type":"function","function":{"name":"f","parameters":${schema}}}]}`;
    assertError(await call('POST', '/v1/assistants', tool), 400, 'tools[0].function.parameters');
    const format = `{"model":"m","response_format":{"type":"json_schema","json_schema":{"name":"s","schema":${schema}}}}`;
    assertError(await call('POST', '/v1/assistants', format), 400, 'response_format.json_schema.schema');
    const vs = (await call('POST', '/v1/vector_stores', {})).body;
    const filters = nested(700, '{"type":"eq","key":"a","value":1}', (inner) => `{"type":"and","filters":[${inner}]}`);
    assertError(await call('POST', `/v1/vector_stores/${vs.id}/search`, `{"query":"q","filters":${filters}}`), 400, 'filters');
    const arrays = nested(10_000, '1', (inner) => `[${inner}]`);
    assertError(await call('POST', '/v1/threads', `{"metadata":${arrays}}`), 400, 'metadata');
    const fine = nested(20, '{}', (inner) => `{"type":"object","properties":{"a":${inner}}}`);
    assert.equal((await call('POST', '/v1/assistants', `{"model":"m","tools":[{"type":"function","function":{"name":"f","parameters":${fine}}}]}`)).status, 200);
  });

  test('malformed multipart -> 4xx in the OpenAI shape, nothing stored', async () => {
    const before = await counts();
    const part = (boundary: string, rest = `--${boundary}--\r\n`) =>
      `--${boundary}\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nassistants\r\n--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n\r\nhello\r\n${rest}`;
    const multipart = (body: string, type: string) => call('POST', '/v1/files', body, { 'content-type': type });
    assertError(await multipart(part('x'), 'multipart/form-data'), 400, null);
    assertError(await multipart(part('x'), 'multipart/form-data; boundary=y'), 400, null);
    assertError(await multipart(part('x', ''), 'multipart/form-data; boundary=x'), 400, null);
    assertError(await multipart('\u0000\u0001garbage\r\n\r\n--', 'multipart/form-data; boundary=x'), 400);
    assertError(await multipart('', 'multipart/form-data; boundary=x'), 400);
    const onJson = await call('POST', '/v1/vector_stores', part('x'), { 'content-type': 'multipart/form-data; boundary=x' });
    assertError(onJson, 415, null);
    assert.deepEqual(await counts(), before);
  });

  test('framework-level errors are in the OpenAI shape', async () => {
    assertError(await call('GET', '/v1/assistants/%E0%A4%A'), 400, null);
    assertError(await call('GET', '/v1/files/%zz/content'), 400, null);
    assertError(await call('GET', `/v1/assistants/${'a'.repeat(500)}`), 414, null);
    assertError(await call('POST', '/v1/assistants', '{"model":"m"}', { 'content-type': 'application/xml' }), 415, null);
    assertError(await call('POST', '/v1/assistants', ''), 400, 'model');
    assertError(await rawRequest(`GET /v1/assistants HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(100_000)}\r\n\r\n`), 431, null);
    assertError(await rawRequest('GET /v1/assistants HTTP/1.1\r\nHost: x\r\nNo colon here\r\n\r\n'), 400, null);
    assertError(await rawRequest('NOT-HTTP\r\n\r\n'), 400, null);
  });

  test('file names outside Latin-1 download with an RFC 6266 content-disposition', async () => {
    const client = server.openai();
    for (const name of ['数据.csv', 'Отчёт.md', 'report-😀.txt']) {
      const file = await client.files.create({ file: await toFile(Buffer.from('a,b\n1,2\n'), name), purpose: 'assistants' });
      assert.equal(file.filename, name);
      const res = await fetch(`${server.url}/v1/files/${file.id}/content`);
      assert.equal(res.status, 200);
      const disposition = res.headers.get('content-disposition')!;
      assert.match(disposition, /^attachment; filename="[\x20-\x7e]+"; filename\*=UTF-8''/);
      assert.equal(decodeURIComponent(disposition.split("UTF-8''")[1]!), name);
      assert.equal(await res.text(), 'a,b\n1,2\n');
    }
  });

  test('a download that fails before its bytes answers a complete error, not one cut to the file length', async () => {
    const client = server.openai();
    const file = await client.files.create({ file: await toFile(Buffer.from('tiny'), 'gone.txt'), purpose: 'assistants' });
    rmSync(join(server.dataDir, 'files', file.id));
    const res = await fetch(`${server.url}/v1/files/${file.id}/content`);
    const text = await res.text();
    assert.ok(res.status >= 400, String(res.status));
    assert.equal(res.headers.get('content-disposition'), null);
    assert.equal(typeof JSON.parse(text).error.message, 'string', text);
  });
});

