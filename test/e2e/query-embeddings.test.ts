import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import OpenAI, { toFile } from 'openai';
import { startChatUpstream, type ChatUpstream } from '../support/chat-upstream.js';
import { startTestServer, type TestServer } from '../support/server.js';

// file_search embeds each distinct query once: a run that searches a query again, or sends several file_search
// calls at once with overlapping queries, does not pay the embedding model again (counted at the upstream).

const CAR = 'The red car is parked in the north garage next to the loading dock.';

describe('query embeddings in a run', () => {
  let upstream: ChatUpstream;
  let server: TestServer;
  let client: OpenAI;
  let storeId: string;
  before(async () => {
    upstream = await startChatUpstream({ embeddingSynonyms: { automobile: 'car' } });
    server = await startTestServer({ ASSISTD_EMBEDDING_MODEL: 'local-embed', ASSISTD_EMBEDDING_PROVIDER: 'openai-compatible', ASSISTD_EMBEDDING_BASE_URL: upstream.baseURL });
    client = server.openai();
    const file = await client.files.create({ file: await toFile(Buffer.from(CAR), 'car.txt'), purpose: 'assistants' });
    storeId = (await client.vectorStores.create({ name: 'cars' })).id;
    assert.equal((await client.vectorStores.files.createAndPoll(storeId, { file_id: file.id }, { pollIntervalMs: 25 })).status, 'completed');
  });
  after(async () => {
    await server.close();
    await upstream.close();
  });

  test('parallel and repeated file_search calls embed each distinct query once', async () => {
    const assistant = await client.beta.assistants.create({ model: 'scripted', tools: [{ type: 'file_search' }], tool_resources: { file_search: { vector_store_ids: [storeId] } } });
    const search = (queries: string[]) => ({ name: 'file_search', arguments: { queries } });
    const script = [
      { tool_calls: [search(['automobile', 'garage']), search(['automobile']), search(['garage', 'loading dock'])] },
      { tool_calls: [search(['automobile'])] },
      { text: 'Parked in the north garage.' },
    ];
    const thread = await client.beta.threads.create({ messages: [{ role: 'user', content: `Where is the car?\n\`\`\`script\n${JSON.stringify(script)}\n\`\`\`` }] });
    const before = upstream.requests.length;
    const run = await client.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id }, { pollIntervalMs: 25 });
    assert.equal(run.status, 'completed', JSON.stringify(run.last_error));

    const embedded = upstream.requests.slice(before).filter((r) => r.path.endsWith('/embeddings')).flatMap((r) => r.body.input as string[]);
    assert.deepEqual(embedded.sort(), ['automobile', 'garage', 'loading dock']);
    const steps = await client.beta.threads.runs.steps.list(run.id, { thread_id: thread.id });
    const calls = steps.data.flatMap((s) => (s.step_details.type === 'tool_calls' ? s.step_details.tool_calls : []));
    assert.equal(calls.length, 4);
    assert.ok(calls.every((c) => c.type === 'file_search' && c.file_search.results!.length === 1), 'every call found the file');
  });
});
