import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { toFile } from 'openai';
import { startTestServer, type TestServer } from '../support/server.js';

// v1 clients (`OpenAI-Beta: assistants=v1`, or Azure api-version 2024-02-15-preview) get v1 shapes in streams
// too, on every streaming endpoint: runs with their assistant's `file_ids` and the `retrieval` tool, retrieval
// steps, messages with `file_ids` and quoted citations, and none of the v2-only fields.

type Event = { event: string; data: any };

const V2_ONLY_RUN_FIELDS = ['max_prompt_tokens', 'max_completion_tokens', 'truncation_strategy', 'response_format', 'tool_choice', 'parallel_tool_calls', 'incomplete_details'];

function script(steps: unknown[]): string {
  return `go\n\`\`\`script\n${JSON.stringify(steps)}\n\`\`\``;
}

/** The events of an SSE answer, `done` excluded. */
async function sse(response: Response): Promise<Event[]> {
  assert.equal(response.status, 200, await response.clone().text());
  const events: Event[] = [];
  for (const frame of (await response.text()).split('\n\n')) {
    const event = /^event: (.*)$/m.exec(frame)?.[1];
    const data = /^data: (.*)$/m.exec(frame)?.[1];
    if (event && data && event !== 'done') events.push({ event, data: JSON.parse(data) });
  }
  return events;
}

/** Every object of a v1 stream is in its v1 shape. */
function assertV1(events: Event[], assistantFileIds: string[]) {
  for (const { event, data } of events) {
    if (event.startsWith('thread.run.step.')) {
      const calls = (event.endsWith('.delta') ? data.delta.step_details?.tool_calls : data.step_details.tool_calls) ?? [];
      for (const call of calls) assert.notEqual(call.type, 'file_search', `${event}: ${JSON.stringify(call)}`);
    } else if (event.startsWith('thread.run.')) {
      assert.deepEqual(data.file_ids, assistantFileIds, event);
      assert.ok(!data.tools.some((t: any) => t.type === 'file_search'), event);
      for (const field of V2_ONLY_RUN_FIELDS) assert.equal(field in data, false, `${event} has ${field}`);
    } else if (event === 'thread.message.delta') {
      for (const part of data.delta.content ?? []) for (const a of part.text?.annotations ?? []) if (a.type === 'file_citation') assert.equal(typeof a.file_citation.quote, 'string');
    } else if (event.startsWith('thread.message.')) {
      assert.ok(Array.isArray(data.file_ids), event);
      assert.equal('attachments' in data, false, event);
    } else if (event === 'thread.created') {
      assert.equal('tool_resources' in data, false, event);
    }
  }
}

describe('v1 streams', () => {
  let server: TestServer;
  let assistant: any;
  let fileId: string;
  const v1 = (path: string, body: unknown, query = '') =>
    fetch(`${server.url}${path}${query}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(query ? {} : { 'OpenAI-Beta': 'assistants=v1' }) },
      body: JSON.stringify(body),
    });

  before(async () => {
    server = await startTestServer();
    const client = server.openai();
    fileId = (await client.files.create({ file: await toFile(Buffer.from('The Kestrel launch code is 7Q4-ZEBRA-19.\n'), 'kestrel.md'), purpose: 'assistants' })).id;
    const weather = { type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: {} } } };
    assistant = await (await v1('/v1/assistants', { model: 'scripted', tools: [{ type: 'retrieval' }, weather], file_ids: [fileId] })).json();
    assert.deepEqual(assistant.file_ids, [fileId]);
    const storeId = (await client.beta.assistants.retrieve(assistant.id)).tool_resources?.file_search?.vector_store_ids?.[0];
    for (let vs = await client.vectorStores.retrieve(storeId!); vs.status === 'in_progress'; vs = await client.vectorStores.retrieve(storeId!)) await new Promise((r) => setTimeout(r, 50));
  });
  after(() => server?.close());

  test('a streamed run with retrieval: v1 runs, retrieval steps, quoted citations', async () => {
    const thread: any = await (await v1('/v1/threads', { messages: [{ role: 'user', content: script([
      { tool_calls: [{ name: 'file_search', arguments: { queries: ['Kestrel launch code'] } }] },
      { chunks: ['It is 7Q4-ZEBRA-19【0:0', '†kestrel.md】.'] },
    ]) }] })).json();
    const events = await sse(await v1(`/v1/threads/${thread.id}/runs`, { assistant_id: assistant.id, stream: true }));
    assert.equal(events.at(-1)!.event, 'thread.run.completed');
    assertV1(events, [fileId]);
    const step = events.find((e) => e.event === 'thread.run.step.completed' && e.data.type === 'tool_calls')!.data;
    assert.deepEqual(step.step_details.tool_calls.map((c: any) => [c.type, c.retrieval]), [['retrieval', {}]]);
    const delta = events.find((e) => e.event === 'thread.run.step.delta')!.data;
    assert.equal(delta.delta.step_details.tool_calls[0].type, 'retrieval');
    const message = events.find((e) => e.event === 'thread.message.completed')!.data;
    const [citation] = message.content[0].text.annotations;
    assert.equal(citation.file_citation.file_id, fileId);
    assert.match(citation.file_citation.quote, /7Q4-ZEBRA-19/);
    const streamed = events.flatMap((e) => (e.event === 'thread.message.delta' ? e.data.delta.content[0].text.annotations : []));
    assert.deepEqual(streamed, [{ index: 0, ...citation }]);
    // The same run through v2 eyes: file_search, no quote.
    const v2 = await server.openai().beta.threads.messages.retrieve(message.id, { thread_id: thread.id });
    assert.deepEqual(v2.content[0]!.type === 'text' && v2.content[0].text.annotations[0], { ...citation, file_citation: { file_id: fileId } });
  });

  test('create thread and run, and submit_tool_outputs, stream v1 shapes; Azure 2024-02-15-preview is v1', async () => {
    const body = { assistant_id: assistant.id, stream: true, thread: { messages: [{ role: 'user', content: script([{ tool_calls: [{ name: 'get_weather', arguments: {} }] }, { text: 'Sunny.' }]) }] } };
    const first = await sse(await v1('/openai/threads/runs', body, '?api-version=2024-02-15-preview'));
    assert.equal(first[0]!.event, 'thread.created');
    assert.equal(first.at(-1)!.event, 'thread.run.requires_action');
    assertV1(first, [fileId]);
    const run = first.at(-1)!.data;
    const call = run.required_action.submit_tool_outputs.tool_calls[0];
    const second = await sse(await v1(`/v1/threads/${run.thread_id}/runs/${run.id}/submit_tool_outputs`, { tool_outputs: [{ tool_call_id: call.id, output: 'sunny' }], stream: true }));
    assert.equal(second.at(-1)!.event, 'thread.run.completed');
    assertV1(second, [fileId]);
    assert.ok(second.some((e) => e.event === 'thread.message.completed' && e.data.file_ids.length === 0));
    const polled: any = await (await fetch(`${server.url}/v1/threads/${run.thread_id}/runs/${run.id}`, { headers: { 'OpenAI-Beta': 'assistants=v1' } })).json();
    assert.deepEqual(polled.file_ids, [fileId], 'a polled v1 run shows its assistant\'s files too');
  });
});
