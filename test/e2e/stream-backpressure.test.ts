import assert from 'node:assert/strict';
import { Agent, request, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { reply, startChatUpstream, type ChatUpstream } from '../support/chat-upstream.js';
import { startTestServer, type TestServer } from '../support/server.js';

// A client that stops reading a run's stream holds a bounded part of the run's log in the server's memory (the
// socket's unsent bytes), not all of it; when it reads again, it gets every event, in order, to `done`.

const TEXT_BYTES = 12 * 1024 * 1024;
const BOUND_BYTES = 3 * 1024 * 1024;

describe('a slow stream reader', () => {
  let upstream: ChatUpstream;
  let server: TestServer;
  const sockets = new Set<Socket>();
  before(async () => {
    upstream = await startChatUpstream();
    server = await startTestServer({ OPENAI_BASE_URL: upstream.baseURL, OPENAI_API_KEY: 'sk-upstream' });
    server.app.server.on('connection', (socket: Socket) => sockets.add(socket));
  });
  after(async () => {
    await server.close();
    await upstream.close();
  });

  test("holds at most about a megabyte of the run's log per stream while the client does not read", async () => {
    upstream.enqueue(reply.text('x'.repeat(TEXT_BYTES), { textChunkChars: 64 * 1024 }));
    const client = server.openai();
    const assistant = await client.beta.assistants.create({ model: 'gpt-4o-mini' });
    const thread = await client.beta.threads.create({ messages: [{ role: 'user', content: 'a long answer' }] });
    const body = JSON.stringify({ assistant_id: assistant.id, stream: true });
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = request(`${server.url}/v1/threads/${thread.id}/runs`, { method: 'POST', agent: new Agent(), headers: { 'content-type': 'application/json', authorization: 'Bearer none' } }, resolve);
      req.on('error', reject);
      req.end(body);
    });
    res.pause();
    const threadId = thread.id;
    const [run] = (await client.beta.threads.runs.list(threadId)).data;
    let status = run!.status;
    while (status !== 'completed') {
      assert.ok(status === 'queued' || status === 'in_progress', status);
      await new Promise((r) => setTimeout(r, 100));
      status = (await client.beta.threads.runs.retrieve(run!.id, { thread_id: threadId })).status;
    }
    // The stream has had time to write all it would.
    await new Promise((r) => setTimeout(r, 500));
    const unsent = Math.max(...[...sockets].map((s) => s.writableLength));
    assert.ok(unsent < BOUND_BYTES, `${unsent} bytes waiting in one stream's socket`);

    let text = '';
    let events = '';
    let tail = '';
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      const lines = (tail + chunk).split('\n');
      tail = lines.pop()!;
      for (const line of lines) {
        if (line.startsWith('event: ')) events = line.slice(7);
        else if (line.startsWith('data: ') && events === 'thread.message.delta') text += JSON.parse(line.slice(6)).delta.content[0].text.value;
      }
    });
    res.resume();
    await new Promise((r) => res.on('end', r));
    assert.equal(events, 'done');
    assert.equal(text.length, TEXT_BYTES);
  });
});
