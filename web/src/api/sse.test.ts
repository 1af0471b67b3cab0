import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readSse } from './sse';

function bodyOf(chunks: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      controller.close();
    },
  });
}

async function collect(chunks: string[]) {
  const out = [];
  for await (const event of readSse(bodyOf(chunks))) out.push(event);
  return out;
}

test('splits events across arbitrary chunk boundaries, CRLF and CR line ends', async () => {
  const text = 'event: thread.run.created\r\ndata: {"id":"run_1"}\r\n\r\nevent: thread.message.delta\rdata: {"a":\rdata: 1}\r\r: a comment\n\nevent: done\ndata: [DONE]\n\n';
  const whole = await collect([text]);
  assert.deepEqual(whole, [
    { event: 'thread.run.created', data: '{"id":"run_1"}' },
    { event: 'thread.message.delta', data: '{"a":\n1}' },
    { event: 'done', data: '[DONE]' },
  ]);
  // Every split point, including between '\r' and '\n', gives the same events.
  for (let i = 1; i < text.length; i++) assert.deepEqual(await collect([text.slice(0, i), text.slice(i)]), whole, `split at ${i}`);
});

test('decodes multi-byte characters split between chunks and defaults the event name', async () => {
  const bytes = new TextEncoder().encode('data: 22°C\n\n');
  const split = bytes.indexOf(0xb0);
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(bytes.slice(0, split));
      controller.enqueue(bytes.slice(split));
      controller.close();
    },
  });
  const out = [];
  for await (const event of readSse(body)) out.push(event);
  assert.deepEqual(out, [{ event: 'message', data: '22°C' }]);
});
