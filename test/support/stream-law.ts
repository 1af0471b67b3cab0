import assert from 'node:assert/strict';
import OpenAI from 'openai';
import OpenAIv4 from 'openai-v4';
import { assertSdkShape } from './sdk-types.js';

// The streaming law: the message a client accumulates from a run's stream with the SDK's own helpers equals the
// message it retrieves afterwards. Checked with each openai-node major line the server must serve.

/** The AssistantStream surface both SDK lines share (their types differ only in generics). */
export interface AnyStream extends AsyncIterable<{ event: string; data: any }> {
  on(event: string, listener: (...args: any[]) => void): this;
  finalRun(): Promise<any>;
  finalMessages(): Promise<any[]>;
}

/** One openai-node line, behind the calls whose signatures changed between 4.x and 6.x. */
export interface Sdk {
  name: string;
  client: OpenAI;
  stream(threadId: string, body: Record<string, unknown>): AnyStream;
  submitStream(threadId: string, runId: string, outputs: Array<{ tool_call_id: string; output: string }>): AnyStream;
  createAndRunStream(body: Record<string, unknown>): AnyStream;
  retrieveMessage(threadId: string, messageId: string): Promise<any>;
}

export function sdks(baseURL: string): Sdk[] {
  const v6 = new OpenAI({ baseURL, apiKey: 'none', maxRetries: 0 });
  const v4 = new OpenAIv4({ baseURL, apiKey: 'none', maxRetries: 0 });
  return [
    {
      name: 'openai 6.x',
      client: v6,
      stream: (threadId, body) => v6.beta.threads.runs.stream(threadId, body as never) as unknown as AnyStream,
      submitStream: (threadId, runId, outputs) => v6.beta.threads.runs.submitToolOutputsStream(runId, { thread_id: threadId, tool_outputs: outputs }) as unknown as AnyStream,
      createAndRunStream: (body) => v6.beta.threads.createAndRunStream(body as never) as unknown as AnyStream,
      retrieveMessage: (threadId, messageId) => v6.beta.threads.messages.retrieve(messageId, { thread_id: threadId }),
    },
    {
      name: 'openai 4.x',
      client: v6,
      stream: (threadId, body) => v4.beta.threads.runs.stream(threadId, body as never) as unknown as AnyStream,
      submitStream: (threadId, runId, outputs) => v4.beta.threads.runs.submitToolOutputsStream(threadId, runId, { tool_outputs: outputs }) as unknown as AnyStream,
      createAndRunStream: (body) => v4.beta.threads.createAndRunStream(body as never) as unknown as AnyStream,
      retrieveMessage: (threadId, messageId) => v4.beta.threads.messages.retrieve(threadId, messageId),
    },
  ];
}

/** The SDK keeps each delta's `index` in what it accumulates; the retrieved objects have none. */
export function withoutIndexes<T>(value: T): T {
  if (Array.isArray(value)) return value.map(withoutIndexes) as T;
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).filter(([k]) => k !== 'index').map(([k, v]) => [k, withoutIndexes(v)])) as T;
}

const PART_TYPES: Record<string, string> = { text: 'TextContentBlock', image_file: 'ImageFileContentBlock' };
const ANNOTATION_TYPES: Record<string, string> = { file_citation: 'FileCitationAnnotation', file_path: 'FilePathAnnotation' };

const MESSAGES = 'beta/threads/messages';
const STEPS = 'beta/threads/runs/steps';

/** Message parts and annotations against the openai-node 6.x types. */
function assertContentShapes(content: any[], what: string): void {
  for (const part of content) {
    assertSdkShape(part, MESSAGES, PART_TYPES[part.type] ?? part.type, what);
    if (part.type === 'image_file') assertSdkShape(part.image_file, MESSAGES, 'ImageFile', what);
    if (part.type !== 'text') continue;
    assertSdkShape(part.text, MESSAGES, 'Text', what);
    for (const a of part.text.annotations) {
      const type = ANNOTATION_TYPES[a.type] ?? a.type;
      assertSdkShape(a, MESSAGES, type, what);
      if (a.type === 'file_citation') assertSdkShape(a.file_citation, MESSAGES, `${type}.FileCitation`, what);
      else assertSdkShape(a.file_path, MESSAGES, `${type}.FilePath`, what);
    }
  }
}

/** A tool call of a step, nested objects included, against the openai-node 6.x types. */
function assertCallShape(call: any, what: string): void {
  if (call.type === 'function') {
    assertSdkShape(call, STEPS, 'FunctionToolCall', what);
    assertSdkShape(call.function, STEPS, 'FunctionToolCall.Function', what);
  } else if (call.type === 'file_search') {
    assertSdkShape(call, STEPS, 'FileSearchToolCall', what);
    assertSdkShape(call.file_search, STEPS, 'FileSearchToolCall.FileSearch', what);
    for (const result of call.file_search.results ?? []) assertSdkShape(result, STEPS, 'FileSearchToolCall.FileSearch.Result', what);
  } else {
    assertSdkShape(call, STEPS, 'CodeInterpreterToolCall', what);
    assertSdkShape(call.code_interpreter, STEPS, 'CodeInterpreterToolCall.CodeInterpreter', what);
    for (const output of call.code_interpreter.outputs) assertSdkShape(output, STEPS, `CodeInterpreterToolCall.CodeInterpreter.${output.type === 'logs' ? 'Logs' : 'Image'}`, what);
  }
}

/** Every step of a run, as retrieved, against the openai-node 6.x types. */
export async function assertStepShapes(sdk: Sdk, run: any): Promise<void> {
  for (const step of (await sdk.client.beta.threads.runs.steps.list(run.id, { thread_id: run.thread_id })).data as any[]) {
    const what = `${sdk.name}: step ${step.id}`;
    assertSdkShape(step, STEPS, 'RunStep', what);
    if (step.step_details.type === 'message_creation') assertSdkShape(step.step_details, STEPS, 'MessageCreationStepDetails', what);
    else {
      assertSdkShape(step.step_details, STEPS, 'ToolCallsStepDetails', what);
      for (const call of step.step_details.tool_calls) assertCallShape(call, what);
    }
  }
}

/** What a stream showed through the SDK's helpers, collected while it ran. */
export interface Observed {
  run: any;
  messages: any[];
  completed: any[];
  textDone: Array<{ messageId: string; text: any }>;
  textSnapshots: Map<string, any>;
  images: string[];
  /** Each annotation as it arrived, with the message text accumulated up to and including its delta. */
  arrivals: Array<{ annotation: any; textSoFar: string }>;
}

/** Listens to `stream` with the SDK's helpers until it ends. */
export async function observe(stream: AnyStream): Promise<Observed> {
  const observed: Observed = { run: undefined, messages: [], completed: [], textDone: [], textSnapshots: new Map(), images: [], arrivals: [] };
  let messageId = '';
  stream
    .on('messageCreated', (m) => (messageId = m.id))
    .on('messageDone', (m) => observed.completed.push(m))
    .on('textDone', (text) => observed.textDone.push({ messageId, text: structuredClone(text) }))
    .on('imageFileDone', (image) => observed.images.push(image.file_id))
    .on('textDelta', (delta, snapshot) => {
      observed.textSnapshots.set(messageId, snapshot);
      for (const annotation of delta.annotations ?? []) observed.arrivals.push({ annotation, textSoFar: snapshot.value });
    });
  observed.run = await stream.finalRun();
  observed.messages = await stream.finalMessages();
  return observed;
}

/**
 * Asserts the law for every message of a stream: the accumulated message (finalMessages), the text snapshots
 * (textDelta, textDone) and the `thread.message.completed` payload agree with the message retrieved afterwards,
 * part by part and index by index; every annotation arrived with its text. Returns the retrieved messages.
 */
export async function assertLaw(sdk: Sdk, observed: Observed): Promise<any[]> {
  const retrieved = [];
  for (const accumulated of observed.messages) {
    const message = await sdk.retrieveMessage(accumulated.thread_id, accumulated.id);
    retrieved.push(message);
    assert.deepEqual(withoutIndexes(accumulated.content), message.content, `${sdk.name}: accumulated content of ${message.id}`);
    assert.deepEqual(observed.completed.find((m) => m.id === message.id), message, `${sdk.name}: thread.message.completed of ${message.id}`);
    assertContentShapes(message.content, message.id);
    const texts = message.content.flatMap((part: any, index: number) => (part.type === 'text' ? [{ index, text: part.text }] : []));
    const done = observed.textDone.filter((t) => t.messageId === message.id).map((t) => withoutIndexes(t.text));
    assert.deepEqual(done, texts.map((t: any) => t.text), `${sdk.name}: textDone of ${message.id}`);
    if (texts.length > 0) assert.deepEqual(withoutIndexes(observed.textSnapshots.get(message.id)), texts.at(-1).text, `${sdk.name}: textDelta snapshot of ${message.id}`);
    const images = message.content.flatMap((part: any) => (part.type === 'image_file' ? [part.image_file.file_id] : []));
    for (const id of images) assert.ok(observed.images.includes(id), `${sdk.name}: imageFileDone for ${id}`);
  }
  await assertStepShapes(sdk, observed.run);
  for (const { annotation, textSoFar } of observed.arrivals) {
    assert.equal([...textSoFar].slice(annotation.start_index, annotation.end_index).join(''), annotation.text, `${sdk.name}: annotation ${annotation.text} arrived with its text`);
  }
  return retrieved;
}
