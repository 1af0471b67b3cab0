import { z } from 'zod';
import { BadRequestError } from '../../domain/errors.js';
import { ID_PREFIX, newId } from '../../domain/ids.js';
import type { FunctionCallOutputItem, ItemReference, MessagePart, ResponseItem } from '../../domain/responses.js';
import type { Store } from '../../store/store.js';

/**
 * Input items as the Responses API takes them (EasyInputMessage, messages, earlier output items, function calls
 * and their outputs), for `input` and for conversation items. Kinds this server cannot honour yet are refused
 * by name rather than with a vague union error.
 */
const ITEM_TYPES = ['message', 'function_call', 'function_call_output', 'file_search_call', 'code_interpreter_call'];

const status = z.enum(['in_progress', 'completed', 'incomplete']).nullable().optional();
const inputText = z.object({ type: z.literal('input_text'), text: z.string(), prompt_cache_breakpoint: z.object({ mode: z.literal('explicit') }).optional() });
const inputImage = z.object({
  type: z.literal('input_image'),
  detail: z.enum(['low', 'high', 'auto', 'original']).default('auto'),
  image_url: z.string().min(1).nullable().optional(),
  file_id: z.string().min(1).nullable().optional(),
  prompt_cache_breakpoint: z.object({ mode: z.literal('explicit') }).optional(),
}).refine((p) => !!p.image_url || !!p.file_id, { message: 'an input_image needs image_url or file_id.' });
const outputText = z.object({ type: z.literal('output_text'), text: z.string(), annotations: z.array(z.unknown()).default([]), logprobs: z.array(z.unknown()).optional() });
const refusal = z.object({ type: z.literal('refusal'), refusal: z.string() });

function supportedType(kinds: string[], what: string) {
  return z.unknown().superRefine((value, ctx) => {
    const type = value && typeof value === 'object' ? (value as { type?: unknown }).type : undefined;
    if (typeof type === 'string' && !kinds.includes(type)) ctx.addIssue({ code: 'custom', message: `${what} of type '${type}' are not supported by this server (supported: ${kinds.join(', ')}).` });
  });
}

const messagePart = supportedType(['input_text', 'input_image', 'output_text', 'refusal'], 'content parts').pipe(z.discriminatedUnion('type', [inputText, inputImage, outputText, refusal]));

const message = z.object({
  type: z.literal('message'),
  role: z.enum(['user', 'assistant', 'system', 'developer']),
  content: z.union([z.string(), z.array(messagePart)]),
  id: z.string().min(1).optional(),
  status,
  phase: z.enum(['commentary', 'final_answer']).nullable().optional(),
});
const caller = z.union([z.object({ type: z.literal('direct') }), z.object({ type: z.literal('program'), program_id: z.string() })]).nullable().optional();
const functionCall = z.object({
  type: z.literal('function_call'),
  call_id: z.string().min(1),
  name: z.string().min(1),
  arguments: z.string(),
  id: z.string().min(1).optional(),
  status,
  namespace: z.string().optional(),
  caller,
});
const outputPart = supportedType(['input_text', 'input_image'], 'function call output parts').pipe(z.discriminatedUnion('type', [inputText, inputImage]));
const functionCallOutput = z.object({
  type: z.literal('function_call_output'),
  call_id: z.string().min(1),
  output: z.union([z.string(), z.array(outputPart)]),
  id: z.string().min(1).nullable().optional(),
  status,
  caller,
});

// An earlier file_search_call output item, given back as input (clients that keep the conversation themselves).
const fileSearchCall = z.object({
  type: z.literal('file_search_call'),
  id: z.string().min(1),
  queries: z.array(z.string()),
  status: z.enum(['in_progress', 'searching', 'completed', 'incomplete', 'failed']),
  results: z
    .array(
      z.object({
        file_id: z.string(),
        filename: z.string().default(''),
        score: z.number().default(0),
        text: z.string().default(''),
        attributes: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).nullable().optional(),
      }),
    )
    .nullable()
    .optional(),
});

// An earlier code_interpreter_call output item, given back as input: a later `auto` call continues its container.
const codeInterpreterCall = z.object({
  type: z.literal('code_interpreter_call'),
  id: z.string().min(1),
  code: z.string().nullable(),
  container_id: z.string(),
  status: z.enum(['in_progress', 'interpreting', 'completed', 'incomplete', 'failed']),
  outputs: z
    .array(z.discriminatedUnion('type', [z.object({ type: z.literal('logs'), logs: z.string() }), z.object({ type: z.literal('image'), url: z.string() })]))
    .nullable()
    .optional(),
});

const itemReference = z.object({ type: z.literal('item_reference'), id: z.string().min(1) });

/** A message may leave out `type`; so may a reference (`{"id": …}` alone). */
function withImpliedType(value: unknown): unknown {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return value;
  const type = (value as { type?: unknown }).type;
  if (type !== undefined && type !== null) return value;
  if ('role' in value) return { ...value, type: 'message' };
  return 'id' in value ? { ...value, type: 'item_reference' } : value;
}

/** One input item of a conversation. */
export const inputItemSchema = z.preprocess(withImpliedType, supportedType(ITEM_TYPES, 'input items').pipe(z.discriminatedUnion('type', [message, functionCall, functionCallOutput, fileSearchCall, codeInterpreterCall])));

export type InputItem = z.infer<typeof inputItemSchema>;

/** A response's input item: any input item, or a reference to an item of its chain or conversation. */
export const responseInputItemSchema = z.preprocess(
  withImpliedType,
  supportedType([...ITEM_TYPES, 'item_reference'], 'input items').pipe(z.discriminatedUnion('type', [message, functionCall, functionCallOutput, fileSearchCall, codeInterpreterCall, itemReference])),
);

function messageContent(role: string, content: string | MessagePart[]): MessagePart[] {
  if (typeof content !== 'string') return content;
  return [role === 'assistant' ? { type: 'output_text', text: content, annotations: [] } : { type: 'input_text', text: content }];
}

/** An input item as stored: its own id (or a new one), a status, and text parts for string content. */
export function toStoredItem(item: InputItem): ResponseItem {
  if (item.type === 'file_search_call') {
    const results = item.results?.map((r) => ({ file_id: r.file_id, filename: r.filename, score: r.score, text: r.text, attributes: r.attributes ?? {} })) ?? null;
    return { id: item.id, type: 'file_search_call', status: item.status, queries: item.queries, results };
  }
  if (item.type === 'code_interpreter_call') {
    return { id: item.id, type: 'code_interpreter_call', status: item.status, code: item.code, container_id: item.container_id, outputs: item.outputs ?? null };
  }
  const state = item.status ?? 'completed';
  switch (item.type) {
    case 'message':
      return { id: item.id ?? newId(ID_PREFIX.message), type: 'message', status: state, role: item.role, content: messageContent(item.role, item.content as string | MessagePart[]) };
    case 'function_call':
      return { id: item.id ?? newId(ID_PREFIX.functionCall), type: 'function_call', status: state, arguments: item.arguments, call_id: item.call_id, name: item.name };
    case 'function_call_output':
      return { id: item.id ?? newId(ID_PREFIX.functionCallOutput), type: 'function_call_output', status: state, call_id: item.call_id, output: item.output as FunctionCallOutputItem['output'] };
  }
}

/** `input` as items: a string is one user message. */
export function toStoredInput(input: string | Array<InputItem | ItemReference> | undefined): Array<ResponseItem | ItemReference> {
  if (input === undefined) return [];
  if (typeof input === 'string') return [toStoredItem({ type: 'message', role: 'user', content: input })];
  return input.map((item) => (item.type === 'item_reference' ? item : toStoredItem(item)));
}

/** Refuses items whose images name files that do not exist (later, a deleted file only becomes a note). */
export async function checkImageFiles(store: Store, project: string, items: Array<ResponseItem | ItemReference>, param: string): Promise<void> {
  for (const [index, item] of items.entries()) {
    if (item.type !== 'message') continue;
    for (const part of item.content) {
      if (part.type === 'input_image' && part.file_id && !(await store.files.get(project, part.file_id))) {
        throw new BadRequestError(`Invalid '${param}[${index}]': no file with id '${part.file_id}'.`, `${param}[${index}]`);
      }
    }
  }
}
