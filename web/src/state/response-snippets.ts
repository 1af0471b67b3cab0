import { pythonLiteral } from './snippets';

/** What the Responses snippets reproduce: the settings' create parameters, the conversation and the input. */
export interface ResponseSnippetInput {
  baseUrl: string;
  /** model, instructions, tools, include: as `requestParams` builds them. */
  params: Record<string, unknown>;
  conversationId: string | null;
  input: string;
}

const hasFunctions = (input: ResponseSnippetInput) => Array.isArray(input.params.tools) && input.params.tools.some((t: { type?: string }) => t.type === 'function');

function jsLiteral(value: unknown, indent: string): string {
  return JSON.stringify(value, null, 2).replace(/\n/g, `\n${indent}`);
}

function pythonKwargs(params: Record<string, unknown>): string {
  return Object.entries(params).map(([k, v]) => `    ${k}=${pythonLiteral(v, '    ')},`).join('\n');
}

export function responsesJsSnippet(input: ResponseSnippetInput): string {
  const conversation = input.conversationId
    ? `// The playground's conversation; client.conversations.create() starts a new one.\nconst conversation = { id: ${JSON.stringify(input.conversationId)} };`
    : 'const conversation = await client.conversations.create();';
  const functionNote = hasFunctions(input)
    ? `\n// Answer each function call with the next turn in the same conversation:
for (const item of response.output) {
  if (item.type === 'function_call') {
    await client.responses.create({
      model: ${JSON.stringify(input.params.model)},
      conversation: conversation.id,
      input: [{ type: 'function_call_output', call_id: item.call_id, output: '...' }],
    });
  }
}
`
    : '';
  return `import OpenAI from 'openai';

const client = new OpenAI({ baseURL: ${JSON.stringify(input.baseUrl)}, apiKey: process.env.ASSISTD_API_KEY ?? 'none' });

${conversation}

const stream = client.responses.stream(${jsLiteral({ ...input.params, input: input.input }, '').replace(/\n}$/, ',\n  "conversation": conversation.id\n}')});
stream.on('response.output_text.delta', (event) => process.stdout.write(event.delta));
const response = await stream.finalResponse();
console.log('\\n', response.status, response.usage);
${functionNote}`;
}

export function responsesPythonSnippet(input: ResponseSnippetInput): string {
  const conversation = input.conversationId
    ? `# The playground's conversation; client.conversations.create() starts a new one.\nconversation_id = ${JSON.stringify(input.conversationId)}`
    : 'conversation_id = client.conversations.create().id';
  const functionNote = hasFunctions(input)
    ? `\n# Answer each function call with the next turn in the same conversation:
for item in response.output:
    if item.type == "function_call":
        client.responses.create(
            model=${JSON.stringify(input.params.model)},
            conversation=conversation_id,
            input=[{"type": "function_call_output", "call_id": item.call_id, "output": "..."}],
        )
`
    : '';
  return `import os

from openai import OpenAI

client = OpenAI(base_url=${JSON.stringify(input.baseUrl)}, api_key=os.environ.get("ASSISTD_API_KEY", "none"))

${conversation}

with client.responses.stream(
${pythonKwargs(input.params)}
    conversation=conversation_id,
    input=${pythonLiteral(input.input, '    ')},
) as stream:
    for event in stream:
        if event.type == "response.output_text.delta":
            print(event.delta, end="", flush=True)
    response = stream.get_final_response()
print()
print(response.status, response.usage)
${functionNote}`;
}

/** Both snippets, for "View code". */
export function responseSnippets(input: ResponseSnippetInput): Array<{ language: 'javascript' | 'python'; label: string; code: string }> {
  return [{ language: 'javascript', label: 'JavaScript', code: responsesJsSnippet(input) }, { language: 'python', label: 'Python', code: responsesPythonSnippet(input) }];
}
