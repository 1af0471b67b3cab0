import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import OpenAI, { toFile } from 'openai';
import { buildFixture, type FixtureKind } from '../support/fixtures/write-fixture.js';
import { startTestServer, type TestServer } from '../support/server.js';

// file_search through the SDK: the search endpoint over an ingested store, and a run whose scripted model calls
// file_search and cites what it found, ending as a message with a file_citation annotation.

type Message = OpenAI.Beta.Threads.Message;

const FACT = 'The launch code for project Kestrel is 7Q4-ZEBRA-19.';
const CONTENT_INCLUDE = 'step_details.tool_calls[*].file_search.results[*].content' as const;

async function waitForStore(client: OpenAI, id: string) {
  for (;;) {
    const vs = await client.vectorStores.retrieve(id);
    if (vs.status !== 'in_progress') return vs;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A user message whose script makes the model search, then answer `text`. */
function searchTurn(prompt: string, queries: string[], text: string): string {
  const steps = [{ tool_calls: [{ name: 'file_search', arguments: { queries } }] }, { text }];
  return `${prompt}\n\`\`\`script\n${JSON.stringify(steps)}\n\`\`\``;
}

describe('file_search end to end', () => {
  let server: TestServer;
  let client: OpenAI;
  let storeId: string;
  let fileId: string;
  const upload = async (kind: FixtureKind, fact: string, name: string) => {
    const { bytes, ext } = buildFixture(kind, fact, { words: 200 });
    return client.files.create({ file: await toFile(Buffer.from(bytes), `${name}${ext}`), purpose: 'assistants' });
  };

  before(async () => {
    server = await startTestServer();
    client = server.openai();
    fileId = (await upload('pdf', FACT, 'kestrel-brief')).id;
    const other = await upload('md', 'The cafeteria opens at eight on weekdays.', 'cafeteria');
    const vs = await client.vectorStores.create({ name: 'Briefs', file_ids: [fileId, other.id] });
    storeId = vs.id;
    assert.equal((await waitForStore(client, storeId)).file_counts.completed, 2);
    await client.vectorStores.files.update(other.id, { vector_store_id: storeId, attributes: { kind: 'facilities' } });
    await client.vectorStores.files.update(fileId, { vector_store_id: storeId, attributes: { kind: 'brief', year: 2024 } });
  });
  after(() => server.close());

  test('the search endpoint ranks the fact first, with the page shape the SDK reads', async () => {
    const page = await client.vectorStores.search(storeId, { query: 'What is the launch code for project Kestrel?', rewrite_query: true });
    const [hit] = page.data;
    assert.equal(hit!.file_id, fileId);
    assert.equal(hit!.filename, 'kestrel-brief.pdf');
    assert.deepEqual(hit!.attributes, { kind: 'brief', year: 2024 });
    assert.equal(hit!.content[0]!.type, 'text');
    assert.ok(hit!.content[0]!.text.includes('7Q4-ZEBRA-19'));
    assert.ok(hit!.score > 0 && hit!.score <= 1);
    const response = await fetch(`${server.url}/v1/vector_stores/${storeId}/search`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: 'What is the launch code for project Kestrel?', rewrite_query: true }),
    });
    const raw = (await response.json()) as Record<string, unknown>;
    assert.equal(raw.object, 'vector_store.search_results.page');
    assert.deepEqual(raw.search_query, ['launch code project kestrel']);
    assert.equal(raw.has_more, false);
    assert.equal(raw.next_page, null);

    const filtered = await client.vectorStores.search(storeId, { query: ['launch code', 'cafeteria'], filters: { type: 'eq', key: 'kind', value: 'facilities' } });
    assert.ok(filtered.data.length > 0 && filtered.data.every((h) => h.file_id !== fileId));
    const none = await client.vectorStores.search(storeId, { query: 'launch code Kestrel', ranking_options: { ranker: 'none', score_threshold: 0.99 }, max_num_results: 1 });
    assert.ok(none.data.length <= 1);
  });

  test('bad searches are 400s and unknown stores 404s', async () => {
    await assert.rejects(client.vectorStores.search(storeId, { query: 'x', max_num_results: 51 }), (e: any) => e.status === 400);
    await assert.rejects(client.vectorStores.search(storeId, { query: '' }), (e: any) => e.status === 400);
    await assert.rejects(client.vectorStores.search(storeId, { query: 'x', filters: { type: 'in', key: 'kind', value: 'brief' } }), (e: any) => e.status === 400);
    await assert.rejects(client.vectorStores.search('vs_missing', { query: 'x' }), (e: any) => e.status === 404);
  });

  test('a run searches, records the call, and the answer cites the file', async () => {
    const assistant = await client.beta.assistants.create({
      model: 'scripted',
      instructions: 'Answer from the files.',
      tools: [{ type: 'file_search' }],
      tool_resources: { file_search: { vector_store_ids: [storeId] } },
    });
    const thread = await client.beta.threads.create();
    const answer = 'The launch code is 7Q4-ZEBRA-19【0:0†kestrel-brief.pdf】.';
    await client.beta.threads.messages.create(thread.id, { role: 'user', content: searchTurn('What is the Kestrel launch code?', ['Kestrel launch code', 'project Kestrel'], answer) });
    const run = await client.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id }, { pollIntervalMs: 25 });
    assert.equal(run.status, 'completed', JSON.stringify(run.last_error));

    const steps = await client.beta.threads.runs.steps.list(run.id, { thread_id: thread.id, order: 'asc' });
    const call = steps.data.flatMap((s) => (s.step_details.type === 'tool_calls' ? s.step_details.tool_calls : [])).find((c) => c.type === 'file_search');
    assert.ok(call && call.type === 'file_search');
    assert.deepEqual(Object.keys(call.file_search).sort(), ['ranking_options', 'results'], 'what the tool keeps for replay stays internal');
    assert.deepEqual(call.file_search.ranking_options, { ranker: 'default_2024_08_21', score_threshold: 0 });
    assert.equal(call.file_search.results![0]!.file_id, fileId);
    assert.equal(call.file_search.results![0]!.file_name, 'kestrel-brief.pdf');
    assert.equal(call.file_search.results![0]!.content, undefined, 'content only when asked for');
    const withContent = await client.beta.threads.runs.steps.retrieve(steps.data.find((s) => s.step_details.type === 'tool_calls')!.id, { thread_id: thread.id, run_id: run.id, include: [CONTENT_INCLUDE] });
    const detailed = withContent.step_details.type === 'tool_calls' ? withContent.step_details.tool_calls[0] : undefined;
    const passage = detailed?.type === 'file_search' ? detailed.file_search.results?.[0]?.content?.[0]?.text : undefined;
    assert.match(passage ?? '', /7Q4-ZEBRA-19/);

    const [reply] = (await client.beta.threads.messages.list(thread.id, { run_id: run.id })).data as Message[];
    const part = reply!.content[0]!;
    assert.equal(part.type, 'text');
    if (part.type !== 'text') return;
    assert.equal(part.text.value, answer);
    const [citation] = part.text.annotations;
    assert.equal(citation?.type, 'file_citation');
    if (citation?.type !== 'file_citation') return;
    assert.equal(citation.file_citation.file_id, fileId);
    assert.equal(citation.text, '【0:0†kestrel-brief.pdf】');
    assert.equal(answer.slice(citation.start_index, citation.end_index), citation.text);
  });
});
