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

/** Message parts and annotations against the openai-node 6.x types. */
function assertContentShapes(content: any[], what: string): void {
  for (const part of content) {
    assertSdkShape(part, 'beta/threads/messages', PART_TYPES[part.type] ?? part.type, what);
    if (part.type !== 'text') continue;
    assertSdkShape(part.text, 'beta/threads/messages', 'Text', what);
    for (const a of part.text.annotations) assertSdkShape(a, 'beta/threads/messages', ANNOTATION_TYPES[a.type] ?? a.type, what);
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
  for (const { annotation, textSoFar } of observed.arrivals) {
    assert.equal([...textSoFar].slice(annotation.start_index, annotation.end_index).join(''), annotation.text, `${sdk.name}: annotation ${annotation.text} arrived with its text`);
  }
  return retrieved;
}
