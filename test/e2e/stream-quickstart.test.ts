import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import OpenAI from 'openai-v4';
import { AssistantStream } from 'openai-v4/lib/AssistantStream';
import { checkHost } from '../../src/sandbox/host-check.js';
import { defaultSandboxOptions } from '../../src/sandbox/sandbox.js';
import { startTestServer, type TestServer } from '../support/server.js';

// The openai-assistants-quickstart app, end to end: its API route streams a run with the openai 4.x client and
// hands `stream.toReadableStream()` to the browser, which rebuilds it with `AssistantStream.fromReadableStream`
// and renders with the handlers below (copied from app/components/chat.tsx): text appended delta by delta,
// `file_path` annotations rewritten into download links as they arrive, images appended when done, code shown
// as the code_interpreter call streams, function calls answered through a submit_tool_outputs stream.

type UiMessage = { role: 'user' | 'assistant' | 'code'; text: string };

const host = checkHost(defaultSandboxOptions);

const weatherTool = { type: 'function' as const, function: { name: 'get_weather', parameters: { type: 'object', properties: { location: { type: 'string' } } } } };

describe('the openai-assistants-quickstart streaming pattern', { skip: host.available ? false : host.reason }, () => {
  let server: TestServer;
  let openai: OpenAI;
  before(async () => {
    server = await startTestServer({ ASSISTD_CODE_POOL_SIZE: '1' });
    openai = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'none', maxRetries: 0 });
  });
  after(() => server?.close());

  /** The chat component: its state and stream handlers, over the quickstart's API routes. */
  function chat(threadId: string, assistantId: string) {
    const messages: UiMessage[] = [];
    let finished: () => void;
    const done = new Promise<void>((resolve) => (finished = resolve));
    const appendMessage = (role: UiMessage['role'], text: string) => messages.push({ role, text });
    const appendToLastMessage = (text: string) => (messages[messages.length - 1]!.text += text);
    const annotateLastMessage = (annotations: any[]) => {
      const last = messages[messages.length - 1]!;
      for (const annotation of annotations) {
        if (annotation.type === 'file_path') last.text = last.text.replaceAll(annotation.text, `/api/files/${annotation.file_path.file_id}`);
      }
    };
    // app/api/assistants/threads/[threadId]/... routes: the server streams, the browser reads.
    const toBrowser = (stream: { toReadableStream(): ReadableStream }) => AssistantStream.fromReadableStream(stream.toReadableStream());
    const handleRequiresAction = async (event: any) => {
      const runId = event.data.id;
      const toolCalls = event.data.required_action.submit_tool_outputs.tool_calls;
      const toolCallOutputs = toolCalls.map((toolCall: any) => ({ output: JSON.stringify({ temperature: 21, conditions: 'Sunny' }), tool_call_id: toolCall.id }));
      handleReadableStream(toBrowser(openai.beta.threads.runs.submitToolOutputsStream(threadId, runId, { tool_outputs: toolCallOutputs })));
    };
    const handleReadableStream = (stream: AssistantStream) => {
      stream.on('textCreated', () => appendMessage('assistant', ''));
      stream.on('textDelta', (delta) => {
        if (delta.value != null) appendToLastMessage(delta.value);
        if (delta.annotations != null) annotateLastMessage(delta.annotations);
      });
      stream.on('imageFileDone', (image) => appendToLastMessage(`\n![${image.file_id}](/api/files/${image.file_id})\n`));
      stream.on('toolCallCreated', (toolCall) => {
        if (toolCall.type === 'code_interpreter') appendMessage('code', '');
      });
      stream.on('toolCallDelta', (delta) => {
        if (delta.type === 'code_interpreter' && delta.code_interpreter?.input) appendToLastMessage(delta.code_interpreter.input);
      });
      stream.on('event', (event) => {
        if (event.event === 'thread.run.requires_action') void handleRequiresAction(event);
        if (event.event === 'thread.run.completed') finished();
      });
    };
    return {
      messages,
      done,
      send(text: string) {
        appendMessage('user', text);
        handleReadableStream(toBrowser(openai.beta.threads.runs.stream(threadId, { assistant_id: assistantId, additional_messages: [{ role: 'user', content: text }] })));
      },
    };
  }

  test('charts, download links and function calls render as the hosted API rendered them', async () => {
    const assistant = await openai.beta.assistants.create({ model: 'scripted', tools: [{ type: 'code_interpreter' }, weatherTool] });
    const thread = await openai.beta.threads.create();
    const code = 'import matplotlib.pyplot as plt\nplt.bar(["a", "b"], [3, 5])\nplt.show()\nopen("report.csv", "w").write("a,3\\nb,5\\n")';
    const steps = [
      { tool_calls: [{ name: 'code_interpreter', arguments: { code } }] },
      { tool_calls: [{ name: 'get_weather', arguments: { location: 'Paris' } }] },
      { chunks: ['The chart is above; ', 'download [the report](sandbox:/mn', 't/data/report.csv). ', 'It is sunny in Paris.'] },
    ];
    const ui = chat(thread.id, assistant.id);
    ui.send(`Chart it\n\`\`\`script\n${JSON.stringify(steps)}\n\`\`\``);
    await ui.done;

    assert.deepEqual(ui.messages.map((m) => m.role), ['user', 'code', 'assistant']);
    assert.equal(ui.messages[1]!.text, code);
    const [reply] = (await openai.beta.threads.messages.list(thread.id, { limit: 1 })).data;
    assert.ok(reply && reply.content[0]?.type === 'image_file' && reply.content[1]?.type === 'text', JSON.stringify(reply?.content));
    const imageId = reply.content[0].image_file.file_id;
    const [link] = reply.content[1].text.annotations;
    assert.ok(link?.type === 'file_path');
    const shown = ui.messages[2]!.text;
    assert.ok(!shown.includes('sandbox:'), shown);
    assert.ok(shown.includes(`[the report](/api/files/${link.file_path.file_id})`), shown);
    assert.ok(shown.includes(`![${imageId}](/api/files/${imageId})`), shown);
    // The text the user reads is the stored reply, link rewritten, chart where the stream put it.
    const image = `\n![${imageId}](/api/files/${imageId})\n`;
    assert.equal(shown.replace(image, ''), reply.content[1].text.value.replaceAll(link.text, `/api/files/${link.file_path.file_id}`));
    // app/api/files/[fileId]: the rewritten links download the files.
    assert.equal(await (await openai.files.content(link.file_path.file_id)).text(), 'a,3\nb,5\n');
  });
});
