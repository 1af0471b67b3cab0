import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import OpenAI from 'openai';
import OpenAIv4 from 'openai-v4';
import { createTestDatabase } from '../support/postgres.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { script } from '../support/script.js';

// The Responses and Conversations APIs through the official SDK, with the deterministic scripted model, on
// SQLite and Postgres.

const weather: OpenAI.Responses.FunctionTool = {
  type: 'function',
  name: 'get_weather',
  description: 'weather for a city',
  parameters: { type: 'object', properties: { city: { type: 'string' } } },
  strict: false,
};

/** What the server stored, as the SDK hands it out (it adds `output_text`). */
async function stored(client: OpenAI, id: string) {
  return client.responses.retrieve(id);
}

/** A streamed response without what the SDK's stream helper adds client-side (`parsed`, `parsed_arguments`, `output_parsed`). */
function unparsed<T>(value: T): T {
  return JSON.parse(JSON.stringify(value, (key, v) => (['parsed', 'parsed_arguments', 'output_parsed'].includes(key) ? undefined : v)));
}

async function status(promise: Promise<unknown>): Promise<number | undefined> {
  try {
    await promise;
    return undefined;
  } catch (err) {
    return (err as { status?: number }).status;
  }
}

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`responses (${db})`, () => {
    let server: TestServer;
    let client: OpenAI;

    before(async () => {
      server = await startTestServer(db === 'postgres' ? { DATABASE_URL: await createTestDatabase() } : {});
      client = server.openai();
    });
    after(async () => {
      await server.close();
    });

    test('text: create, retrieve, input items, delete', async () => {
      const response = await client.responses.create({ model: 'scripted', input: 'hello', instructions: 'Be brief.', metadata: { k: 'v' } });
      assert.match(response.id, /^resp_/);
      assert.equal(response.object, 'response');
      assert.equal(response.status, 'completed');
      assert.equal(response.output_text, 'You said: hello');
      const [message] = response.output;
      assert.equal(message?.type, 'message');
      assert.match(message!.id, /^msg_/);
      assert.deepEqual(message?.type === 'message' && message.content[0], { type: 'output_text', annotations: [], logprobs: [], text: 'You said: hello' });
      assert.equal(response.instructions, 'Be brief.');
      assert.deepEqual(response.metadata, { k: 'v' });
      assert.equal((response as { store?: boolean }).store, true);
      assert.ok(response.usage!.input_tokens > 0 && response.usage!.output_tokens > 0);
      assert.equal(response.usage!.total_tokens, response.usage!.input_tokens + response.usage!.output_tokens);
      assert.deepEqual(await stored(client, response.id), response);

      const items = await client.responses.inputItems.list(response.id);
      assert.equal(items.data.length, 1);
      assert.deepEqual(items.data[0], { id: items.data[0]!.id, type: 'message', status: 'completed', role: 'user', content: [{ type: 'input_text', text: 'hello' }] });

      await client.responses.delete(response.id);
      assert.equal(await status(client.responses.retrieve(response.id)), 404);
      assert.equal(await status(client.responses.delete(response.id)), 404);
    });

    test('stream: the hosted event order, and finalResponse() equals the stored response', async () => {
      const stream = client.responses.stream({ model: 'scripted', input: 'hi there' });
      const events: OpenAI.Responses.ResponseStreamEvent[] = [];
      for await (const event of stream) events.push(event);
      const final = await stream.finalResponse();
      assert.deepEqual(events.map((e) => e.sequence_number), events.map((_, i) => i));
      const types = events.map((e) => e.type);
      assert.deepEqual(types, [
        'response.created', 'response.in_progress', 'response.output_item.added', 'response.content_part.added',
        ...types.filter((t) => t === 'response.output_text.delta'),
        'response.output_text.done', 'response.content_part.done', 'response.output_item.done', 'response.completed',
      ]);
      const deltas = events.flatMap((e) => (e.type === 'response.output_text.delta' ? [e] : []));
      assert.ok(deltas.length > 1);
      assert.equal(deltas.map((d) => d.delta).join(''), 'You said: hi there');
      assert.ok(deltas.every((d) => d.item_id === final.output[0]!.id && d.output_index === 0 && d.content_index === 0));
      assert.equal(final.output_text, 'You said: hi there');
      assert.deepEqual(await stored(client, final.id), unparsed(final));
    });

    test('openai 4.x: its stream helper accumulates the same response', async () => {
      const v4 = new OpenAIv4({ baseURL: `${server.url}/v1`, apiKey: 'none', maxRetries: 0 });
      const stream = v4.responses.stream({ model: 'scripted', input: script([{ text: 'Hi', tool_calls: [{ name: 'get_weather', arguments: { city: 'Oslo' } }] }]), tools: [weather] });
      const final = await stream.finalResponse();
      assert.deepEqual(final.output.map((o) => o.type), ['message', 'function_call']);
      // 4.x computes no output_text in its stream helper; everything the server sent is the same.
      const { output_text: _text, ...retrieved } = await stored(client, final.id);
      assert.deepEqual(retrieved, unparsed(final));
    });

    test('function calls: parallel calls stream one item at a time, outputs go back through a chain of 5', async () => {
      const steps = [{ tool_calls: [{ name: 'get_weather', arguments: { city: 'Oslo' } }, { name: 'get_weather', arguments: { city: 'Rome' } }] }, { text: 'Oslo {{tool_output.0}}, Rome {{tool_output.1}}' }];
      const r1 = await client.responses.create({ model: 'scripted', input: 'my name is Ada' });
      const stream = client.responses.stream({ model: 'scripted', previous_response_id: r1.id, input: script(steps), tools: [weather] });
      const events: OpenAI.Responses.ResponseStreamEvent[] = [];
      for await (const event of stream) events.push(event);
      const r2 = await stream.finalResponse();
      assert.equal(r2.status, 'completed');
      const calls = r2.output.flatMap((o) => (o.type === 'function_call' ? [o] : []));
      assert.equal(calls.length, 2);
      assert.deepEqual(calls.map((c) => [c.name, JSON.parse(c.arguments)]), [['get_weather', { city: 'Oslo' }], ['get_weather', { city: 'Rome' }]]);
      assert.ok(calls.every((c) => /^fc_/.test(c.id!) && c.call_id && c.status === 'completed'));
      const order = events.filter((e) => e.type.startsWith('response.output_item') || e.type.startsWith('response.function_call')).map((e) => `${e.type}:${(e as { output_index: number }).output_index}`);
      const first = order.filter((o) => o.endsWith(':0'));
      assert.deepEqual(order, [...first, ...order.filter((o) => o.endsWith(':1'))], 'item 0 is done before item 1 is added');
      assert.equal(first[0], 'response.output_item.added:0');
      assert.equal(first.at(-1), 'response.output_item.done:0');
      assert.ok(first.includes('response.function_call_arguments.done:0'));
      assert.deepEqual(await stored(client, r2.id), unparsed(r2));

      const r3 = await client.responses.create({
        model: 'scripted',
        previous_response_id: r2.id,
        tools: [weather],
        input: [
          { type: 'function_call_output', call_id: calls[0]!.call_id, output: 'sunny' },
          { type: 'function_call_output', call_id: calls[1]!.call_id, output: 'rainy' },
        ],
      });
      assert.equal(r3.output_text, 'Oslo sunny, Rome rainy');
      assert.equal(r3.previous_response_id, r2.id);
      const r4 = await client.responses.create({ model: 'scripted', previous_response_id: r3.id, input: 'thanks' });
      const r5 = await client.responses.create({ model: 'scripted', previous_response_id: r4.id, input: [{ role: 'user', content: [{ type: 'input_text', text: 'bye' }] }] });
      assert.equal(r5.output_text, 'You said: bye');
      assert.ok(r5.usage!.input_tokens > r1.usage!.input_tokens, 'the chain is part of the prompt');
      const items = await client.responses.inputItems.list(r3.id, { order: 'asc' });
      assert.deepEqual(items.data.map((i) => i.type), ['function_call_output', 'function_call_output']);
      const page = await client.responses.inputItems.list(r3.id, { order: 'asc', limit: 1 });
      assert.equal(page.has_more, true);
      assert.equal((await page.getNextPage()).data[0]!.id, items.data[1]!.id);
    });

    test('input_tokens counts the prompt a create would send, chain included', async () => {
      const first = await client.responses.create({ model: 'scripted', input: 'count me in', instructions: 'Be brief.', tools: [weather] });
      const counted = await client.responses.inputTokens.count({ model: 'scripted', input: 'count me in', instructions: 'Be brief.', tools: [weather] });
      assert.deepEqual(counted, { object: 'response.input_tokens', input_tokens: first.usage!.input_tokens });
      const chained = await client.responses.inputTokens.count({ model: 'scripted', input: 'more', previous_response_id: first.id });
      const next = await client.responses.create({ model: 'scripted', input: 'more', previous_response_id: first.id });
      assert.equal(chained.input_tokens, next.usage!.input_tokens);
    });

    test('background: queued at once, then polled to the end; cancel stops one that is still running', async () => {
      const queued = await client.responses.create({ model: 'scripted', background: true, input: script([{ text: 'later', delay_ms: 200 }]) });
      assert.equal(queued.status, 'queued');
      assert.equal(queued.background, true);
      let polled = queued;
      for (let i = 0; i < 200 && (polled.status === 'queued' || polled.status === 'in_progress'); i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        polled = await client.responses.retrieve(queued.id);
      }
      assert.equal(polled.status, 'completed');
      assert.equal(polled.output_text, 'later');
      const { output_text: _text, ...ended } = polled;
      assert.deepEqual(await client.responses.cancel(queued.id), ended, 'an ended response stays as it is');

      const slow = await client.responses.create({ model: 'scripted', background: true, input: script([{ text: 'never', delay_ms: 60_000 }]) });
      const cancelled = await client.responses.cancel(slow.id);
      assert.equal(cancelled.status, 'cancelled');
      await new Promise((resolve) => setTimeout(resolve, 200));
      const after = await client.responses.retrieve(slow.id);
      assert.equal(after.status, 'cancelled');
      assert.deepEqual(after.output, []);
    });

    test('background streams: created and queued first, numbered from 0; retrieve replays after starting_after and follows live', async () => {
      const created = await client.responses.create({ model: 'scripted', background: true, stream: true, input: script([{ chunks: ['a ', 'b ', 'c'], delay_ms: 100 }]) });
      const events: OpenAI.Responses.ResponseStreamEvent[] = [];
      for await (const event of created) events.push(event);
      assert.deepEqual(events.slice(0, 3).map((e) => e.type), ['response.created', 'response.queued', 'response.in_progress']);
      assert.equal(events.at(-1)!.type, 'response.completed');
      assert.deepEqual(events.map((e) => e.sequence_number), events.map((_, i) => i));
      const id = (events[0] as OpenAI.Responses.ResponseCreatedEvent).response.id;
      assert.equal((events[0] as OpenAI.Responses.ResponseCreatedEvent).response.status, 'queued');
      const replay = await client.responses.retrieve(id, { stream: true, starting_after: 2 });
      const again: OpenAI.Responses.ResponseStreamEvent[] = [];
      for await (const event of replay) again.push(event);
      assert.deepEqual(again, events.slice(3));
      const helper = await client.responses.stream({ response_id: id, starting_after: 4 }).finalResponse();
      assert.equal(helper.output_text, 'a b c');

      const slow = await client.responses.create({ model: 'scripted', background: true, input: script([{ chunks: ['x ', 'y'], delay_ms: 400 }]) });
      const live = await client.responses.retrieve(slow.id, { stream: true, starting_after: 1 });
      const seen: OpenAI.Responses.ResponseStreamEvent[] = [];
      for await (const event of live) seen.push(event);
      assert.deepEqual([seen[0]!.type, seen[0]!.sequence_number], ['response.in_progress', 2]);
      assert.equal(seen.flatMap((e) => (e.type === 'response.output_text.delta' ? [e.delta] : [])).join(''), 'x y');
      assert.equal(seen.at(-1)!.type, 'response.completed');
      const plain = await client.responses.create({ model: 'scripted', input: 'x' });
      assert.equal(await status(client.responses.retrieve(plain.id, { stream: true })), 400);
    });

    test('a cancel ends the stream of a background response, from any request', async () => {
      const stream = await client.responses.create({ model: 'scripted', background: true, stream: true, input: script([{ text: 'never', delay_ms: 60_000 }]) });
      const types: string[] = [];
      const started = Date.now();
      for await (const event of stream) {
        types.push(event.type);
        if (event.type === 'response.in_progress') await client.responses.cancel(event.response.id);
      }
      assert.deepEqual(types, ['response.created', 'response.queued', 'response.in_progress']);
      assert.ok(Date.now() - started < 10_000);
    });

    test('a response deleted while it streams still ends its stream', async () => {
      const stream = client.responses.stream({ model: 'scripted', input: script([{ text: 'late', delay_ms: 300 }]) });
      stream.on('response.created', (event) => void client.responses.delete(event.response.id));
      const final = await stream.finalResponse();
      assert.equal(final.status, 'completed');
      assert.equal(final.output_text, 'late');
      assert.equal(await status(client.responses.retrieve(final.id)), 404);
    });

    test('item_reference names an item of the chain; one outside it is a 400', async () => {
      const first = await client.responses.create({ model: 'scripted', input: 'remember me' });
      const answer = first.output[0]!;
      const next = await client.responses.create({ model: 'scripted', previous_response_id: first.id, input: [{ type: 'item_reference', id: answer.id! }, { role: 'user', content: 'again' }] });
      assert.equal(next.output_text, 'You said: again');
      const items = await client.responses.inputItems.list(next.id, { order: 'asc' });
      assert.deepEqual(items.data[0], answer, 'the reference is stored as the item it names');
      const outside = await client.responses.create({ model: 'scripted', input: [{ type: 'item_reference', id: answer.id! }] }).catch((err) => err);
      assert.deepEqual([outside.status, outside.error.param], [400, 'input[0]']);
      const conversation = await client.conversations.create();
      assert.equal(await status(client.conversations.items.create(conversation.id, { items: [{ type: 'item_reference', id: answer.id! }] })), 400);
    });

    test('store: false is not retrievable and cannot be chained', async () => {
      const response = await client.responses.create({ model: 'scripted', input: 'secret', store: false });
      assert.equal((response as { store?: boolean }).store, false);
      assert.equal(response.output_text, 'You said: secret');
      assert.equal(await status(client.responses.retrieve(response.id)), 404);
      assert.equal(await status(client.responses.create({ model: 'scripted', input: 'x', previous_response_id: response.id })), 404);
    });

    test('failed and incomplete responses', async () => {
      const failed = await client.responses.create({ model: 'scripted', input: script([{ error: { status: 429, message: 'slow down' } }]) });
      assert.equal(failed.status, 'failed');
      assert.equal(failed.error?.code, 'rate_limit_exceeded');
      const stream = client.responses.stream({ model: 'scripted', input: script([{ error: { status: 500, message: 'boom' } }]) });
      const types: string[] = [];
      for await (const event of stream) types.push(event.type);
      assert.equal(types.at(-1), 'response.failed');
      const cut = await client.responses.create({ model: 'scripted', input: script([{ text: 'partial', finish_reason: 'length' }]), max_output_tokens: 16 });
      assert.equal(cut.status, 'incomplete');
      assert.deepEqual(cut.incomplete_details, { reason: 'max_output_tokens' });
      assert.equal(cut.max_output_tokens, 16);
    });

    test('refusals: unknown and unsupported parameters, orphan outputs, both chain and conversation', async () => {
      const bad = async (body: Record<string, unknown>) => {
        try {
          await client.responses.create({ model: 'scripted', input: 'x', ...body } as OpenAI.Responses.ResponseCreateParamsNonStreaming);
        } catch (err) {
          const e = err as { status: number; error: { message: string; param: string | null } };
          return [e.status, e.error.param, e.error.message];
        }
        assert.fail('accepted');
      };
      assert.deepEqual((await bad({ bogus: 1 })).slice(0, 2), [400, 'bogus']);
      const [code, param, message] = await bad({ tools: [{ type: 'web_search' }] });
      assert.deepEqual([code, param], [400, 'tools[0]']);
      assert.match(String(message), /web_search/);
      assert.deepEqual((await bad({ input: [{ type: 'function_call_output', call_id: 'call_nope', output: 'x' }] })).slice(0, 2), [400, 'input[0]']);
      assert.deepEqual((await bad({ background: true, store: false })).slice(0, 2), [400, 'background']);
      assert.equal((await bad({ previous_response_id: 'resp_x', conversation: 'conv_x' }))[0], 400);
      assert.equal((await bad({ tool_choice: { type: 'function', name: 'missing' } }))[0], 400);
      const done = await client.responses.create({ model: 'scripted', input: 'x' });
      assert.equal(await status(client.responses.cancel(done.id)), 400);
    });

    test('a thread becomes a conversation: messages and run tool calls in order, message ids kept', async () => {
      const assistant = await client.beta.assistants.create({ model: 'scripted', tools: [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: {} } } }] });
      const thread = await client.beta.threads.create({ messages: [{ role: 'user', content: script([{ tool_calls: [{ name: 'get_weather', arguments: { city: 'Oslo' } }] }, { text: 'Oslo is {{tool_output.0}}' }]) }], metadata: { user: 'ada' } });
      const paused = await client.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id }, { pollIntervalMs: 20 });
      const call = paused.required_action!.submit_tool_outputs.tool_calls[0]!;
      const run = await client.beta.threads.runs.submitToolOutputsAndPoll(paused.id, { thread_id: thread.id, tool_outputs: [{ tool_call_id: call.id, output: 'sunny' }] }, { pollIntervalMs: 20 });
      assert.equal(run.status, 'completed');
      await client.beta.threads.messages.create(thread.id, { role: 'user', content: 'thanks' });
      const messages = (await client.beta.threads.messages.list(thread.id, { order: 'asc' })).data;

      const conversation = (await client.post('/conversations/from_thread', { body: { thread_id: thread.id } })) as OpenAI.Conversations.Conversation;
      assert.match(conversation.id, /^conv_/);
      assert.deepEqual(conversation.metadata, { user: 'ada' });
      const items = (await client.conversations.items.list(conversation.id, { order: 'asc' })).data;
      assert.deepEqual(items.map((i) => i.type), ['message', 'function_call', 'function_call_output', 'message', 'message']);
      assert.deepEqual(items.filter((i) => i.type === 'message').map((i) => i.id), messages.map((m) => m.id));
      const [, fc, out, answer] = items;
      assert.ok(fc?.type === 'function_call' && fc.call_id === call.id && fc.name === 'get_weather' && JSON.parse(fc.arguments).city === 'Oslo');
      assert.ok(out?.type === 'function_call_output' && out.call_id === call.id && out.output === 'sunny');
      assert.deepEqual(answer?.type === 'message' && [answer.role, answer.content], ['assistant', [{ type: 'output_text', text: 'Oslo is sunny', annotations: [] }]]);
      const next = await client.responses.create({ model: 'scripted', conversation: conversation.id, input: 'and tomorrow?' });
      assert.equal(next.status, 'completed');
      assert.equal(await status(client.post('/conversations/from_thread', { body: { thread_id: 'thread_missing' } })), 404);
    });

    test('conversations: CRUD, items, and responses that add to them', async () => {
      const conversation = await client.conversations.create({ metadata: { topic: 'demo' }, items: [{ role: 'user', content: 'first' }, { type: 'message', role: 'assistant', content: 'noted' }] });
      assert.match(conversation.id, /^conv_/);
      assert.deepEqual(await client.conversations.retrieve(conversation.id), conversation);
      const updated = await client.conversations.update(conversation.id, { metadata: { topic: 'changed' } });
      assert.deepEqual(updated.metadata, { topic: 'changed' });

      const added = await client.conversations.items.create(conversation.id, { items: [{ role: 'user', content: [{ type: 'input_text', text: 'second' }] }] });
      assert.equal(added.data.length, 1);
      const response = await client.responses.create({ model: 'scripted', conversation: conversation.id, input: 'third' });
      assert.deepEqual(response.conversation, { id: conversation.id });
      assert.equal(response.output_text, 'You said: third');

      const all = await client.conversations.items.list(conversation.id, { order: 'asc' });
      const texts = all.data.map((i) => (i.type === 'message' ? `${i.role}:${(i.content[0] as { text: string }).text}` : i.type));
      assert.deepEqual(texts, ['user:first', 'assistant:noted', 'user:second', 'user:third', 'assistant:You said: third']);
      assert.equal(all.data.at(-1)!.id, response.output[0]!.id, 'output items keep their ids in the conversation');
      const desc = await client.conversations.items.list(conversation.id, { limit: 2 });
      assert.deepEqual(desc.data.map((i) => i.id), all.data.slice(-2).reverse().map((i) => i.id));
      assert.equal(desc.has_more, true);
      const next = await desc.getNextPage();
      assert.deepEqual(next.data.map((i) => i.id), all.data.slice(1, 3).reverse().map((i) => i.id));

      const one = all.data[0]!;
      const oneId = one.id!;
      assert.deepEqual(await client.conversations.items.retrieve(oneId, { conversation_id: conversation.id }), one);
      const after = await client.conversations.items.delete(oneId, { conversation_id: conversation.id });
      assert.equal(after.id, conversation.id);
      assert.equal(await status(client.conversations.items.retrieve(oneId, { conversation_id: conversation.id })), 404);

      const before = (await client.conversations.items.list(conversation.id, { limit: 100 })).data.length;
      await Promise.all(Array.from({ length: 8 }, (_, i) => client.conversations.items.create(conversation.id, { items: [{ role: 'user', content: `c${i}a` }, { role: 'user', content: `c${i}b` }] })));
      const grown = (await client.conversations.items.list(conversation.id, { limit: 100, order: 'asc' })).data;
      assert.equal(grown.length, before + 16, 'concurrent appends all land');
      const texts2 = grown.slice(before).map((i) => (i.type === 'message' ? (i.content[0] as { text: string }).text : ''));
      for (let i = 0; i < 8; i++) assert.equal(texts2.indexOf(`c${i}b`), texts2.indexOf(`c${i}a`) + 1, 'one call\'s items stay together');

      const deleted = await client.conversations.delete(conversation.id);
      assert.deepEqual(deleted, { id: conversation.id, object: 'conversation.deleted', deleted: true });
      assert.equal(await status(client.conversations.retrieve(conversation.id)), 404);
      assert.equal(await status(client.responses.create({ model: 'scripted', conversation: conversation.id, input: 'x' })), 404);
    });
  });
}
