import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { before, after, test } from 'node:test';
import { toFile } from 'openai';
import { startTestServer } from '../support/server.js';

// With OTEL_EXPORTER_OTLP_ENDPOINT set, spans for request → run → model call → tool call reach an OTLP/HTTP
// receiver (JSON), in one trace that joins the caller's `traceparent`.

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: Array<{ key: string; value: { stringValue?: string; intValue?: string | number } }>;
}

const posts: Array<{ path: string; type: string | undefined; body: any }> = [];
let receiver: Server;
before(async () => {
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      posts.push({ path: req.url ?? '', type: req.headers['content-type'], body: JSON.parse(Buffer.concat(chunks).toString()) });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
});
after(() => new Promise<void>((resolve) => receiver.close(() => resolve())));

const attr = (span: OtlpSpan, key: string) => {
  const value = span.attributes.find((a) => a.key === key)?.value;
  return value?.stringValue ?? (value?.intValue !== undefined ? Number(value.intValue) : undefined);
};

test('a run with file_search is traced: request → run → model calls and the tool call, GenAI attributes', async () => {
  const port = (receiver.address() as AddressInfo).port;
  const server = await startTestServer({ OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}/`, OTEL_SERVICE_NAME: 'assistd-test' });
  const traceId = 'a'.repeat(32);
  const callerSpanId = 'b'.repeat(16);
  let run;
  try {
    const client = server.openai();
    const file = await client.files.create({ file: await toFile(Buffer.from('The launch code is 7Q4-ZEBRA-19.'), 'code.txt'), purpose: 'assistants' });
    const store = await client.vectorStores.create({ name: 'codes', file_ids: [file.id] });
    const assistant = await client.beta.assistants.create({ model: 'scripted', tools: [{ type: 'file_search' }], tool_resources: { file_search: { vector_store_ids: [store.id] } } });
    const steps = [{ tool_calls: [{ name: 'file_search', arguments: { queries: ['launch code'] } }] }, { text: 'Found it.' }];
    const content = `\`\`\`script\n${JSON.stringify(steps)}\n\`\`\``;
    run = await client.beta.threads.createAndRunPoll(
      { assistant_id: assistant.id, thread: { messages: [{ role: 'user', content }] } },
      { headers: { traceparent: `00-${traceId}-${callerSpanId}-01` }, pollIntervalMs: 50 },
    );
    assert.equal(run.status, 'completed');
  } finally {
    await server.close(); // flushes the spans still queued
  }

  assert.ok(posts.length > 0, 'the receiver got spans');
  assert.ok(posts.every((p) => p.path === '/v1/traces' && p.type === 'application/json'));
  const resource = posts[0]!.body.resourceSpans[0].resource.attributes;
  assert.deepEqual(resource.find((a: any) => a.key === 'service.name').value, { stringValue: 'assistd-test' });
  const spans: OtlpSpan[] = posts.flatMap((p) => p.body.resourceSpans.flatMap((r: any) => r.scopeSpans.flatMap((s: any) => s.spans)));

  const request = spans.find((s) => s.name === 'POST /v1/threads/runs');
  assert.ok(request, `a request span among ${spans.map((s) => s.name).join(', ')}`);
  assert.equal(request.traceId, traceId);
  assert.equal(request.parentSpanId, callerSpanId);
  assert.equal(request.kind, 2);
  assert.equal(attr(request, 'http.response.status_code'), 200);
  assert.equal(attr(request, 'http.route'), '/v1/threads/runs');

  const runSpan = spans.find((s) => s.name === 'run' && attr(s, 'assistd.run.id') === run.id);
  assert.ok(runSpan);
  assert.equal(runSpan.traceId, traceId);
  assert.equal(runSpan.parentSpanId, request.spanId);
  assert.equal(attr(runSpan, 'assistd.run.status'), 'completed');

  const calls = spans.filter((s) => s.parentSpanId === runSpan.spanId && s.name === 'chat scripted');
  assert.equal(calls.length, 2);
  for (const call of calls) {
    assert.equal(call.kind, 3);
    assert.equal(attr(call, 'gen_ai.operation.name'), 'chat');
    assert.equal(attr(call, 'gen_ai.system'), 'scripted');
    assert.equal(attr(call, 'gen_ai.request.model'), 'scripted');
    assert.ok(BigInt(call.endTimeUnixNano) >= BigInt(call.startTimeUnixNano));
  }
  const sum = (key: string) => calls.reduce((n, c) => n + Number(attr(c, key)), 0);
  assert.equal(sum('gen_ai.usage.input_tokens'), run.usage!.prompt_tokens);
  assert.equal(sum('gen_ai.usage.output_tokens'), run.usage!.completion_tokens);

  const tool = spans.find((s) => s.name === 'execute_tool file_search');
  assert.ok(tool);
  assert.equal(tool.parentSpanId, runSpan.spanId);
  assert.equal(attr(tool, 'gen_ai.tool.name'), 'file_search');
});
