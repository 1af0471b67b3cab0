import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import OpenAI, { toFile } from 'openai';
import { createTestDatabase } from '../support/postgres.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { script } from '../support/script.js';

// The file_search tool of the Responses API through the official SDK: the scripted model searches the same
// vector stores the Assistants API uses, then answers citing a passage with the marker runs use; the response
// carries a file_search_call item and a file_citation annotation in the hosted Responses shape.

const FACT = 'The launch code for project Kestrel is 7Q4-ZEBRA-19.';
const ANSWER = 'The code is 7Q4-ZEBRA-19.';

/** A prompt whose script makes the model search, then answer citing the first passage (the marker split across deltas). */
function searchThenCite(queries: string[]): string {
  const chunks = ['The code is ', '7Q4-ZEBRA-19.【0', ':0†kest', 'rel.md】 Any', 'thing else?'];
  return `What is the launch code?\n${script([{ tool_calls: [{ name: 'file_search', arguments: { queries } }] }, { chunks }])}`;
}

/** A streamed response without what the SDK's stream helper adds client-side. */
function unparsed<T>(value: T): T {
  return JSON.parse(JSON.stringify(value, (key, v) => (['parsed', 'parsed_arguments', 'output_parsed'].includes(key) ? undefined : v)));
}

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`responses file_search (${db})`, () => {
    let server: TestServer;
    let client: OpenAI;
    let storeId: string;
    let fileId: string;

    before(async () => {
      server = await startTestServer(db === 'postgres' ? { DATABASE_URL: await createTestDatabase() } : {});
      client = server.openai();
      const filler = 'Project notes cover schedules, budgets and staffing across the quarter. '.repeat(8);
      fileId = (await client.files.create({ file: await toFile(Buffer.from(`# Kestrel\n\n${filler}\n\n${FACT}\n`), 'kestrel.md'), purpose: 'assistants' })).id;
      const other = await client.files.create({ file: await toFile(Buffer.from(`# Cafeteria\n\n${filler}\n\nThe cafeteria opens at eight on weekdays.\n`), 'cafeteria.md'), purpose: 'assistants' });
      storeId = (await client.vectorStores.create({ name: 'Briefs', file_ids: [fileId, other.id] })).id;
      let vs = await client.vectorStores.retrieve(storeId);
      while (vs.status === 'in_progress') {
        await new Promise((r) => setTimeout(r, 50));
        vs = await client.vectorStores.retrieve(storeId);
      }
      assert.equal(vs.file_counts.completed, 2);
      await client.vectorStores.files.update(other.id, { vector_store_id: storeId, attributes: { kind: 'facilities' } });
    });
    after(() => server.close());

    test('a response searches, then cites the file in the hosted shape; results only with include', async () => {
      const tools: OpenAI.Responses.Tool[] = [{ type: 'file_search', vector_store_ids: [storeId] }];
      const response = await client.responses.create({ model: 'scripted', input: searchThenCite(['launch code Kestrel']), tools, include: ['file_search_call.results'] });
      assert.equal(response.status, 'completed');
      assert.deepEqual(response.tools, [{ type: 'file_search', vector_store_ids: [storeId], filters: null, max_num_results: 20, ranking_options: { ranker: 'auto', score_threshold: 0 } }]);
      const [call, message] = response.output;
      assert.equal(call!.type, 'file_search_call');
      if (call!.type !== 'file_search_call') return;
      assert.match(call!.id, /^fs_/);
      assert.equal(call!.status, 'completed');
      assert.deepEqual(call!.queries, ['launch code Kestrel']);
      assert.equal(call!.results![0]!.file_id, fileId);
      assert.equal(call!.results![0]!.filename, 'kestrel.md');
      assert.ok(call!.results![0]!.text!.includes(FACT));
      assert.ok(call!.results![0]!.score! > 0);
      assert.equal(message!.type, 'message');
      if (message!.type !== 'message') return;
      const part = message!.content[0] as OpenAI.Responses.ResponseOutputText;
      assert.equal(part.text, `${ANSWER} Anything else?`);
      assert.deepEqual(part.annotations, [{ type: 'file_citation', file_id: fileId, filename: 'kestrel.md', index: ANSWER.length }]);
      assert.equal(response.output_text, `${ANSWER} Anything else?`);
      assert.deepEqual(await client.responses.retrieve(response.id, { include: ['file_search_call.results'] }), response);
      assert.equal(((await client.responses.retrieve(response.id)).output[0] as OpenAI.Responses.ResponseFileSearchToolCall).results, null);

      const plain = await client.responses.create({ model: 'scripted', input: searchThenCite(['launch code Kestrel']), tools });
      const plainCall = plain.output[0] as OpenAI.Responses.ResponseFileSearchToolCall;
      assert.equal(plainCall.results, null);
      assert.equal((plain.output[1] as OpenAI.Responses.ResponseOutputMessage).content[0]!.type, 'output_text');
    });

    test('streaming: the search events, then the annotation, and finalResponse equals the stored response', async () => {
      const stream = client.responses.stream({ model: 'scripted', input: searchThenCite(['launch code Kestrel']), tools: [{ type: 'file_search', vector_store_ids: [storeId] }] });
      const types: string[] = [];
      let deltas = '';
      let annotation: unknown;
      for await (const event of stream) {
        types.push(event.type);
        if (event.type === 'response.output_text.delta') deltas += event.delta;
        if (event.type === 'response.output_text.annotation.added') {
          assert.equal(event.annotation_index, 0);
          assert.equal(event.output_index, 1);
          annotation = event.annotation;
        }
      }
      const final = await stream.finalResponse();
      const searchEvents = types.filter((t) => t.startsWith('response.file_search_call.') || t.startsWith('response.output_item.'));
      assert.deepEqual(searchEvents, [
        'response.output_item.added',
        'response.file_search_call.in_progress',
        'response.file_search_call.searching',
        'response.file_search_call.completed',
        'response.output_item.done',
        'response.output_item.added',
        'response.output_item.done',
      ]);
      assert.ok(types.indexOf('response.output_text.annotation.added') < types.indexOf('response.output_text.done'));
      assert.equal(types.at(-1), 'response.completed');
      assert.equal(deltas, `${ANSWER} Anything else?`);
      assert.deepEqual(annotation, { type: 'file_citation', file_id: fileId, filename: 'kestrel.md', index: ANSWER.length });
      assert.deepEqual(unparsed(final), unparsed(await client.responses.retrieve(final.id)));
    });

    test('filters and max_num_results narrow the search; a later response replays the call', async () => {
      const tools: OpenAI.Responses.Tool[] = [{ type: 'file_search', vector_store_ids: [storeId], filters: { type: 'eq', key: 'kind', value: 'facilities' }, max_num_results: 1 }];
      const response = await client.responses.create({ model: 'scripted', input: searchThenCite(['launch code Kestrel cafeteria']), tools, include: ['file_search_call.results'] });
      const call = response.output[0] as OpenAI.Responses.ResponseFileSearchToolCall;
      assert.equal(call.results!.length, 1);
      assert.notEqual(call.results![0]!.file_id, fileId);
      const part = (response.output[1] as OpenAI.Responses.ResponseOutputMessage).content[0] as OpenAI.Responses.ResponseOutputText;
      assert.deepEqual(part.annotations, [{ type: 'file_citation', file_id: call.results![0]!.file_id, filename: 'cafeteria.md', index: ANSWER.length }]);

      const next = await client.responses.create({ model: 'scripted', input: 'And then?', previous_response_id: response.id, tools });
      assert.equal(next.status, 'completed');
      assert.equal(next.output_text, 'You said: And then?');
    });

    test('a file_search_call goes back as input, and into a conversation', async () => {
      const tools: OpenAI.Responses.Tool[] = [{ type: 'file_search', vector_store_ids: [storeId] }];
      const first = await client.responses.create({ model: 'scripted', input: searchThenCite(['launch code Kestrel']), tools, include: ['file_search_call.results'], store: false });
      const input: OpenAI.Responses.ResponseInputItem[] = [{ role: 'user', content: 'What is the launch code?' }, ...(first.output as OpenAI.Responses.ResponseInputItem[]), { role: 'user', content: 'Thanks' }];
      const again = await client.responses.create({ model: 'scripted', input, tools });
      assert.equal(again.output_text, 'You said: Thanks');
      const items = await client.responses.inputItems.list(again.id, { order: 'asc', include: ['file_search_call.results'] });
      assert.deepEqual(items.data[1], first.output[0]);

      const conversation = await client.conversations.create();
      const inConversation = await client.responses.create({ model: 'scripted', input: searchThenCite(['launch code Kestrel']), tools, conversation: conversation.id });
      const listed = await client.conversations.items.list(conversation.id, { order: 'asc' });
      assert.deepEqual(listed.data.map((i) => i.type), ['message', 'file_search_call', 'message']);
      assert.deepEqual(listed.data[1], inConversation.output[0]);
    });

    test('tool_choice forces the search, max_tool_calls caps it, and a background response searches too', async () => {
      const tools: OpenAI.Responses.Tool[] = [{ type: 'file_search', vector_store_ids: [storeId] }];
      const search = { tool_calls: [{ name: 'file_search', arguments: { queries: ['launch code'] } }] };
      // max_tool_calls is a hosted parameter the SDK's types leave out.
      const cappedBody = { model: 'scripted', input: `Find it\n${script([search, search, { text: 'Done.' }])}`, tools, tool_choice: { type: 'file_search' }, max_tool_calls: 1 } as OpenAI.Responses.ResponseCreateParamsNonStreaming;
      const capped = await client.responses.create(cappedBody);
      assert.deepEqual(capped.tool_choice, { type: 'file_search' });
      assert.deepEqual(capped.output.map((i) => i.type), ['file_search_call']);
      assert.equal(capped.status, 'completed');
      const orphan = await client.responses.create({ model: 'scripted', input: 'hi', tool_choice: { type: 'file_search' } }).catch((e) => e);
      assert.equal(orphan.status, 400);

      let background = await client.responses.create({ model: 'scripted', input: searchThenCite(['launch code Kestrel']), tools, background: true });
      while (background.status === 'queued' || background.status === 'in_progress') {
        await new Promise((r) => setTimeout(r, 50));
        background = await client.responses.retrieve(background.id);
      }
      assert.deepEqual(background.output.map((i) => i.type), ['file_search_call', 'message']);
      assert.equal(background.output_text, `${ANSWER} Anything else?`);
    });

    test('an assistant run searches the same vector store and cites the same file', async () => {
      const assistant = await client.beta.assistants.create({ model: 'scripted', tools: [{ type: 'file_search' }], tool_resources: { file_search: { vector_store_ids: [storeId] } } });
      const thread = await client.beta.threads.create({ messages: [{ role: 'user', content: searchThenCite(['launch code Kestrel']) }] });
      const run = await client.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id });
      assert.equal(run.status, 'completed');
      const [message] = (await client.beta.threads.messages.list(thread.id, { order: 'desc', limit: 1 })).data;
      const content = message!.content[0] as OpenAI.Beta.Threads.TextContentBlock;
      assert.equal((content.text.annotations[0] as OpenAI.Beta.Threads.FileCitationAnnotation).file_citation.file_id, fileId);
    });

    test('unknown or missing vector stores and other built-in tools are refused', async () => {
      const missing = await client.responses.create({ model: 'scripted', input: 'hi', tools: [{ type: 'file_search', vector_store_ids: ['vs_missing'] }] }).catch((e) => e);
      assert.equal(missing.status, 404);
      assert.equal(missing.param, 'tools[0].vector_store_ids');
      const none = await client.responses.create({ model: 'scripted', input: 'hi', tools: [{ type: 'file_search', vector_store_ids: [] }] }).catch((e) => e);
      assert.equal(none.status, 400);
      const two = await client.responses.create({ model: 'scripted', input: 'hi', tools: [{ type: 'file_search', vector_store_ids: [storeId] }, { type: 'file_search', vector_store_ids: [storeId] }] }).catch((e) => e);
      assert.equal(two.status, 400);
      const web = await client.responses.create({ model: 'scripted', input: 'hi', tools: [{ type: 'web_search' }] }).catch((e) => e);
      assert.equal(web.status, 400);
    });
  });
}
