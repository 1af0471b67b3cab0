import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { toFile } from 'openai';
import { checkHost } from '../../src/sandbox/host-check.js';
import { defaultSandboxOptions } from '../../src/sandbox/sandbox.js';
import { createTestDatabase } from '../support/postgres.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { assertLaw, observe, sdks, type Sdk } from '../support/stream-law.js';

// For every streamed run shape, the message the SDK accumulates from the stream (openai 4.x and 6.x helpers)
// equals the message retrieved afterwards: content, part indexes and annotations.

function script(steps: unknown[], prompt = 'go'): string {
  return `${prompt}\n\`\`\`script\n${JSON.stringify(steps)}\n\`\`\``;
}

const weatherTool = { type: 'function' as const, function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } };
const host = checkHost(defaultSandboxOptions);

const CHART_CODE = [
  'import matplotlib.pyplot as plt',
  'plt.plot([1, 2, 3], [1, 4, 9])',
  'plt.show()',
  'open("out.csv", "w").write("x,y\\n1,1\\n")',
].join('\n');

for (const db of ['sqlite', 'postgres'] as const) describe(`the streaming law on ${db}`, () => {
  let server: TestServer;
  let assistants: { functions: string; search: string; code: string };
  let fileId: string;

  before(async () => {
    server = await startTestServer({ ASSISTD_CODE_POOL_SIZE: '1', ...(db === 'postgres' ? { DATABASE_URL: await createTestDatabase() } : {}) });
    const client = server.openai();
    const file = await client.files.create({ file: await toFile(Buffer.from('The launch code for project Kestrel is 7Q4-ZEBRA-19.\n'), 'kestrel.md'), purpose: 'assistants' });
    fileId = file.id;
    let store = await client.vectorStores.create({ name: 'briefs', file_ids: [file.id] });
    while (store.status === 'in_progress') store = await new Promise((r) => setTimeout(r, 50)).then(() => client.vectorStores.retrieve(store.id));
    assert.equal(store.file_counts.completed, 1);
    assistants = {
      functions: (await client.beta.assistants.create({ model: 'scripted', tools: [weatherTool] })).id,
      search: (await client.beta.assistants.create({ model: 'scripted', tools: [{ type: 'file_search' }], tool_resources: { file_search: { vector_store_ids: [store.id] } } })).id,
      code: (await client.beta.assistants.create({ model: 'scripted', tools: [{ type: 'code_interpreter' }] })).id,
    };
  });
  after(() => server?.close());

  const each = (name: string, fn: (sdk: Sdk) => Promise<void>, options: { skip?: string | false } = {}) => {
    for (const index of [0, 1]) test(`${name} (${index === 0 ? 'openai 6.x' : 'openai 4.x'})`, options, () => fn(sdks(`${server.url}/v1`)[index]!));
  };

  const thread = (sdk: Sdk, content: string) => sdk.client.beta.threads.create({ messages: [{ role: 'user', content }] });

  each('plain text', async (sdk) => {
    const t = await thread(sdk, script([{ chunks: ['Hel', 'lo ', 'wor', 'ld'] }]));
    const observed = await observe(sdk.stream(t.id, { assistant_id: assistants.functions }));
    const [message] = await assertLaw(sdk, observed);
    assert.deepEqual(message.content, [{ type: 'text', text: { value: 'Hello world', annotations: [] } }]);
  });

  each('text and a function call, then parallel calls answered by a submit_tool_outputs stream', async (sdk) => {
    const t = await thread(sdk, script([
      { text: 'Let me check.', tool_calls: [{ name: 'get_weather', arguments: { city: 'Paris' } }, { name: 'get_weather', arguments: { city: 'Rome' } }] },
      // The opening text counts as a turn of its own in the scripted model's history.
      { chunks: ['Weather: ', '{{tool_outputs}}'] },
      { chunks: ['Weather: ', '{{tool_outputs}}'] },
    ]));
    const first = await observe(sdk.stream(t.id, { assistant_id: assistants.functions }));
    assert.equal(first.run.status, 'requires_action');
    const [opening] = await assertLaw(sdk, first);
    assert.equal(opening.content[0].text.value, 'Let me check.');
    const calls = first.run.required_action.submit_tool_outputs.tool_calls;
    const second = await observe(sdk.submitStream(t.id, first.run.id, calls.map((c: any, i: number) => ({ tool_call_id: c.id, output: ['sunny', 'rain'][i]! }))));
    assert.equal(second.run.status, 'completed');
    const [answer] = await assertLaw(sdk, second);
    assert.equal(answer.content[0].text.value, 'Weather: sunny\nrain');
  });

  each('create thread and run', async (sdk) => {
    const observed = await observe(sdk.createAndRunStream({ assistant_id: assistants.functions, thread: { messages: [{ role: 'user', content: script([{ chunks: ['One', ', two'] }]) }] } }));
    const [message] = await assertLaw(sdk, observed);
    assert.equal(message.content[0].text.value, 'One, two');
  });

  each('file_search with citations split across deltas', async (sdk) => {
    const t = await thread(sdk, script([
      { tool_calls: [{ name: 'file_search', arguments: { queries: ['Kestrel launch code'] } }] },
      { chunks: ['The code is 7Q4-ZEBRA-19【', '0:0', '†kestrel', '.md】 and【9:9†none】 again', ' 【0:0†kestrel.md】'] },
    ]));
    const observed = await observe(sdk.stream(t.id, { assistant_id: assistants.search }));
    assert.equal(observed.run.status, 'completed', JSON.stringify(observed.run.last_error));
    const [message] = await assertLaw(sdk, observed);
    const annotations = message.content[0].text.annotations;
    assert.deepEqual(annotations.map((a: any) => [a.type, a.text, a.file_citation.file_id]), [
      ['file_citation', '【0:0†kestrel.md】', fileId],
      ['file_citation', '【0:0†kestrel.md】', fileId],
    ]);
    assert.equal(observed.arrivals.length, 2, 'each citation arrives once, in a delta');
    assert.deepEqual(Object.keys(annotations[0].file_citation), ['file_id'], 'v2 citations name only the file');
  });

  each('code_interpreter with a chart and a sandbox: link', async (sdk) => {
    const t = await thread(sdk, script([
      { tool_calls: [{ name: 'code_interpreter', arguments: { code: CHART_CODE } }] },
      { chunks: ['Here is the chart and [the data](sandbox:/mnt', '/data/out.csv', '). Also sandbox:/mnt/data/out.csv'] },
    ]));
    const observed = await observe(sdk.stream(t.id, { assistant_id: assistants.code }));
    assert.equal(observed.run.status, 'completed', JSON.stringify(observed.run.last_error));
    const [message] = await assertLaw(sdk, observed);
    assert.deepEqual(message.content.map((p: any) => p.type), ['image_file', 'text']);
    assert.deepEqual(observed.images, [message.content[0].image_file.file_id]);
    assert.deepEqual(message.content[1].text.annotations.map((a: any) => [a.type, a.text]), [
      ['file_path', 'sandbox:/mnt/data/out.csv'],
      ['file_path', 'sandbox:/mnt/data/out.csv'],
    ]);
  }, { skip: host.available ? false : host.reason });

  each('code_interpreter whose chart is the whole answer', async (sdk) => {
    const t = await thread(sdk, script([{ tool_calls: [{ name: 'code_interpreter', arguments: { code: CHART_CODE } }] }, { chunks: [] }]));
    const observed = await observe(sdk.stream(t.id, { assistant_id: assistants.code }));
    const [message] = await assertLaw(sdk, observed);
    assert.deepEqual(message.content.map((p: any) => p.type), ['image_file']);
    assert.deepEqual(observed.images, [message.content[0].image_file.file_id]);
  }, { skip: host.available ? false : host.reason });
});
