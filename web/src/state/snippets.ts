import type { Assistant, Message } from '../../../src/domain/types';

/** What the snippets reproduce: the assistant's settings and the thread's messages so far. */
export interface SnippetInput {
  baseUrl: string;
  assistant: Pick<Assistant, 'model' | 'name' | 'instructions' | 'tools' | 'tool_resources' | 'temperature' | 'top_p' | 'response_format'> & { id?: string };
  threadId: string | null;
  messages: Pick<Message, 'role' | 'content'>[];
}

function messageText(message: Pick<Message, 'content'>): string {
  return message.content.map((part) => (part.type === 'text' ? part.text.value : '')).join('');
}

/** The assistant's create parameters, leaving out what equals the API's defaults. */
function assistantParams(a: SnippetInput['assistant']): Record<string, unknown> {
  const out: Record<string, unknown> = { model: a.model };
  if (a.name) out.name = a.name;
  if (a.instructions) out.instructions = a.instructions;
  if (a.tools.length) out.tools = a.tools;
  const resources: Record<string, unknown> = {};
  const codeFiles = a.tool_resources?.code_interpreter?.file_ids ?? [];
  const stores = a.tool_resources?.file_search?.vector_store_ids ?? [];
  if (codeFiles.length) resources.code_interpreter = { file_ids: codeFiles };
  if (stores.length) resources.file_search = { vector_store_ids: stores };
  if (Object.keys(resources).length) out.tool_resources = resources;
  if (a.temperature !== null && a.temperature !== 1) out.temperature = a.temperature;
  if (a.top_p !== null && a.top_p !== 1) out.top_p = a.top_p;
  if (a.response_format && a.response_format !== 'auto') out.response_format = a.response_format;
  return out;
}

function threadMessages(input: SnippetInput): Array<{ role: string; content: string }> {
  return input.messages.filter((m) => m.role === 'user').map((m) => ({ role: m.role, content: messageText(m) }));
}

/** A JSON value as a Python literal, indented like black would. */
export function pythonLiteral(value: unknown, indent = ''): string {
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'number' || typeof value === 'string') return JSON.stringify(value);
  const inner = `${indent}    `;
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return `[\n${value.map((v) => `${inner}${pythonLiteral(v, inner)},`).join('\n')}\n${indent}]`;
  }
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 0) return '{}';
  return `{\n${entries.map(([k, v]) => `${inner}${JSON.stringify(k)}: ${pythonLiteral(v, inner)},`).join('\n')}\n${indent}}`;
}

function pythonKwargs(params: Record<string, unknown>): string {
  return Object.entries(params).map(([k, v]) => `    ${k}=${pythonLiteral(v, '    ')},`).join('\n');
}

function idsComment(input: SnippetInput, mark: string): string {
  const ids = [input.assistant.id && `assistant ${input.assistant.id}`, input.threadId && `thread ${input.threadId}`].filter(Boolean);
  return ids.length ? `${mark} Reproduces the playground's ${ids.join(' and ')} as new objects.\n` : '';
}

const hasFunctions = (input: SnippetInput) => input.assistant.tools.some((t) => t.type === 'function');

export function pythonSnippet(input: SnippetInput): string {
  const functionNote = hasFunctions(input)
    ? '\n# When the run stops with requires_action, answer with\n# client.beta.threads.runs.submit_tool_outputs_stream(thread_id=thread.id, run_id=run.id, tool_outputs=[...])\n'
    : '';
  return `${idsComment(input, '#')}import os

from openai import OpenAI

client = OpenAI(base_url=${JSON.stringify(input.baseUrl)}, api_key=os.environ.get("ASSISTD_API_KEY", "none"))

assistant = client.beta.assistants.create(
${pythonKwargs(assistantParams(input.assistant))}
)

thread = client.beta.threads.create(
    messages=${pythonLiteral(threadMessages(input), '    ')},
)

with client.beta.threads.runs.stream(thread_id=thread.id, assistant_id=assistant.id) as stream:
    for text in stream.text_deltas:
        print(text, end="", flush=True)
    run = stream.get_final_run()
print()
print(run.status, run.usage)
${functionNote}`;
}

function tsLiteral(value: unknown, indent: string): string {
  return JSON.stringify(value, null, 2).replace(/\n/g, `\n${indent}`);
}

export function typescriptSnippet(input: SnippetInput): string {
  const functionNote = hasFunctions(input)
    ? '\n// When the run stops with requires_action, answer with\n// client.beta.threads.runs.submitToolOutputsStream(run.id, { thread_id: thread.id, tool_outputs: [...] });\n'
    : '';
  return `${idsComment(input, '//')}import OpenAI from 'openai';

const client = new OpenAI({ baseURL: ${JSON.stringify(input.baseUrl)}, apiKey: process.env.ASSISTD_API_KEY ?? 'none' });

const assistant = await client.beta.assistants.create(${tsLiteral(assistantParams(input.assistant), '')});

const thread = await client.beta.threads.create({
  messages: ${tsLiteral(threadMessages(input), '  ')},
});

const stream = client.beta.threads.runs.stream(thread.id, { assistant_id: assistant.id });
stream.on('textDelta', (delta) => process.stdout.write(delta.value ?? ''));
const run = await stream.finalRun();
console.log('\\n', run.status, run.usage);
${functionNote}`;
}

/** Both snippets, for "View code". */
export function assistantSnippets(input: SnippetInput): Array<{ language: 'python' | 'typescript'; label: string; code: string }> {
  return [{ language: 'python', label: 'Python', code: pythonSnippet(input) }, { language: 'typescript', label: 'TypeScript', code: typescriptSnippet(input) }];
}
