import { z } from 'zod';
import { BadRequestError } from '../../domain/errors.js';
import type { ResponseTool, ResponseToolChoice } from '../../domain/responses.js';
import type { ResponseRequest } from '../../engine/responses/response-request.js';
import { MEMORY_LIMITS } from '../../domain/containers.js';
import { metadataSchema } from '../schemas.js';
import { attributeFilterSchema } from '../vector-store-search.js';
import { responseInputItemSchema, toStoredInput } from './input-items.js';

const functionName = z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/, 'function names must be 1-64 characters of a-z, A-Z, 0-9, _ or -.');

const TOOL_TYPES = ['function', 'file_search', 'code_interpreter'];

const functionTool = z.object({
  type: z.literal('function'),
  name: functionName,
  description: z.string().nullable().optional(),
  parameters: z.record(z.string(), z.unknown()).nullable().optional(),
  strict: z.boolean().nullable().optional(),
  defer_loading: z.boolean().optional(),
  allowed_callers: z.array(z.enum(['direct', 'programmatic'])).nullable().optional(),
});

const fileSearchTool = z.object({
  type: z.literal('file_search'),
  vector_store_ids: z.array(z.string().min(1)).min(1, 'file_search needs at least one vector store id.'),
  filters: attributeFilterSchema.nullable().optional(),
  max_num_results: z.number().int().min(1).max(50).optional(),
  ranking_options: z
    .object({
      ranker: z.enum(['auto', 'default-2024-11-15']).optional(),
      score_threshold: z.number().min(0).max(1).optional(),
      hybrid_search: z.object({ embedding_weight: z.number(), text_weight: z.number() }).optional(),
    })
    .optional(),
});

const codeInterpreterTool = z.object({
  type: z.literal('code_interpreter'),
  container: z.union([
    z.string().min(1),
    z.object({
      type: z.literal('auto'),
      file_ids: z.array(z.string().min(1)).max(100).optional(),
      memory_limit: z.enum(MEMORY_LIMITS).nullable().optional(),
      // The sandbox has no network: only `disabled` can be honoured.
      network_policy: z.object({ type: z.literal('disabled') }).optional(),
    }),
  ]),
  allowed_callers: z.array(z.enum(['direct', 'programmatic'])).nullable().optional(),
});

// Other built-in tools (web_search, code_interpreter, ...) are refused by name.
const toolSchema = z
  .unknown()
  .superRefine((value, ctx) => {
    const type = value && typeof value === 'object' ? (value as { type?: unknown }).type : undefined;
    if (typeof type === 'string' && !TOOL_TYPES.includes(type)) ctx.addIssue({ code: 'custom', message: `tools of type '${type}' are not supported by this server yet; only ${TOOL_TYPES.map((t) => `'${t}'`).join(', ')} tools are.` });
  })
  .pipe(z.discriminatedUnion('type', [functionTool, fileSearchTool, codeInterpreterTool]));

const toolChoiceSchema = z.union([z.enum(['none', 'auto', 'required']), z.object({ type: z.literal('function'), name: functionName }), z.object({ type: z.literal('file_search') }), z.object({ type: z.literal('code_interpreter') })]);

const formatSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('text') }),
  z.object({ type: z.literal('json_object') }),
  z.object({
    type: z.literal('json_schema'),
    name: z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/, 'names must be 1-64 characters of a-z, A-Z, 0-9, _ or -.'),
    schema: z.record(z.string(), z.unknown()),
    description: z.string().optional(),
    strict: z.boolean().nullable().optional(),
  }),
]);

const refusedWhenSet = (what: string) =>
  z.unknown().refine((v) => v === null || v === undefined || (Array.isArray(v) && v.length === 0), { message: `${what} is not supported by this server.` }).optional();

/** Every parameter of `responses.create` in openai-node 6.x; those this server cannot honour are refused when set. */
export const responseCreateBody = z.object({
  model: z.string().min(1, 'model is required.'),
  input: z.union([z.string(), z.array(responseInputItemSchema)]).optional(),
  instructions: z.string().nullable().optional(),
  tools: z.array(toolSchema).max(128).optional(),
  tool_choice: toolChoiceSchema.optional(),
  parallel_tool_calls: z.boolean().nullable().optional(),
  max_output_tokens: z.number().int().min(16).nullable().optional(),
  max_tool_calls: z.number().int().min(1).nullable().optional(),
  temperature: z.number().min(0).max(2).nullable().optional(),
  top_p: z.number().min(0).max(1).nullable().optional(),
  top_logprobs: z.number().int().min(0).max(20).nullable().optional(),
  text: z.object({ format: formatSchema.optional(), verbosity: z.enum(['low', 'medium', 'high']).nullable().optional() }).optional(),
  metadata: metadataSchema.optional(),
  store: z.boolean().nullable().optional(),
  stream: z.boolean().nullable().optional(),
  stream_options: z.object({ include_obfuscation: z.boolean().optional() }).nullable().optional(),
  previous_response_id: z.string().min(1).nullable().optional(),
  conversation: z.union([z.string().min(1), z.object({ id: z.string().min(1) })]).nullable().optional(),
  truncation: z.enum(['auto', 'disabled']).nullable().optional(),
  include: z.array(z.string()).nullable().optional(),
  reasoning: z
    .object({ effort: z.enum(['none', 'minimal', 'low', 'medium', 'high', 'xhigh']).nullable().optional(), summary: z.enum(['auto', 'concise', 'detailed']).nullable().optional(), generate_summary: z.enum(['auto', 'concise', 'detailed']).nullable().optional() })
    .nullable()
    .optional(),
  user: z.string().optional(),
  safety_identifier: z.string().max(64).nullable().optional(),
  prompt_cache_key: z.string().nullable().optional(),
  prompt_cache_retention: z.enum(['in_memory', '24h']).nullable().optional(),
  prompt_cache_options: z.object({ mode: z.enum(['implicit', 'explicit']).optional(), ttl: z.literal('30m').optional() }).optional(),
  service_tier: z.enum(['auto', 'default', 'flex', 'scale', 'priority']).nullable().optional(),
  background: z.boolean().nullable().optional(),
  prompt: refusedWhenSet('prompt (stored prompt templates)'),
  context_management: refusedWhenSet('context_management'),
  moderation: refusedWhenSet('moderation'),
});

export type ResponseCreateBody = z.infer<typeof responseCreateBody>;

// The hosted defaults a file_search tool is echoed with.
const DEFAULT_MAX_RESULTS = 20;

function tools(body: ResponseCreateBody): ResponseTool[] {
  return (body.tools ?? []).map((t): ResponseTool => {
    if (t.type === 'function') return { type: 'function', name: t.name, description: t.description ?? null, parameters: t.parameters ?? null, strict: t.strict ?? true };
    if (t.type === 'code_interpreter') return { type: 'code_interpreter', container: codeContainer(t.container) };
    return {
      type: 'file_search',
      vector_store_ids: [...new Set(t.vector_store_ids)],
      filters: t.filters ?? null,
      max_num_results: t.max_num_results ?? DEFAULT_MAX_RESULTS,
      ranking_options: { ranker: t.ranking_options?.ranker ?? 'auto', score_threshold: t.ranking_options?.score_threshold ?? 0 },
    };
  });
}

type CodeContainerBody = Extract<NonNullable<ResponseCreateBody['tools']>[number], { type: 'code_interpreter' }>['container'];

/** The container as the response echoes it: an id, or `auto` with what was given. */
function codeContainer(container: CodeContainerBody): Extract<ResponseTool, { type: 'code_interpreter' }>['container'] {
  if (typeof container === 'string') return container;
  return { type: 'auto', ...(container.file_ids ? { file_ids: [...new Set(container.file_ids)] } : {}), ...(container.memory_limit ? { memory_limit: container.memory_limit } : {}) };
}

/** One of each built-in tool at most, no function of its name beside it, and a tool_choice that names a tool given. */
function checkTools(list: ResponseTool[], choice: ResponseToolChoice): void {
  for (const builtin of ['file_search', 'code_interpreter'] as const) {
    const count = list.filter((t) => t.type === builtin).length;
    if (count > 1) throw new BadRequestError(`Only one ${builtin} tool may be given${builtin === 'file_search' ? '; list every vector store in its vector_store_ids' : ''}.`, 'tools');
    if (count > 0 && list.some((t) => t.type === 'function' && t.name === builtin)) {
      throw new BadRequestError(`A function named '${builtin}' cannot be given beside the ${builtin} tool.`, 'tools');
    }
  }
  if (typeof choice !== 'object') return;
  const found = choice.type === 'function' ? list.some((t) => t.type === 'function' && t.name === choice.name) : list.some((t) => t.type === choice.type);
  if (!found) throw new BadRequestError(`Tool choice '${choice.type === 'function' ? choice.name : choice.type}' not found in 'tools' parameter.`, 'tool_choice');
}

/** The engine's request from a validated body; what the body asks for that cannot be done is a 400 here. */
export function toResponseRequest(body: ResponseCreateBody): ResponseRequest {
  if (body.background && body.store === false) throw new BadRequestError('Background responses must be stored: set store to true (or leave it out).', 'background');
  const list = tools(body);
  const choice = body.tool_choice ?? 'auto';
  checkTools(list, choice);
  const conversation = body.conversation ? (typeof body.conversation === 'string' ? body.conversation : body.conversation.id) : null;
  return {
    model: body.model,
    background: body.background ?? false,
    input: toStoredInput(body.input),
    instructions: body.instructions ?? null,
    tools: list,
    explicitStrict: new Set((body.tools ?? []).flatMap((t) => (t.type === 'function' && t.strict != null ? [t.name] : []))),
    tool_choice: choice,
    parallel_tool_calls: body.parallel_tool_calls ?? true,
    max_output_tokens: body.max_output_tokens ?? null,
    max_tool_calls: body.max_tool_calls ?? null,
    temperature: body.temperature ?? null,
    top_p: body.top_p ?? null,
    text: { format: body.text?.format ?? { type: 'text' }, verbosity: body.text?.verbosity ?? 'medium' },
    metadata: body.metadata ?? {},
    store: body.store ?? true,
    previous_response_id: body.previous_response_id ?? null,
    conversation,
    truncation: body.truncation ?? 'disabled',
    reasoning: { effort: body.reasoning?.effort ?? null, summary: body.reasoning?.summary ?? body.reasoning?.generate_summary ?? null },
    user: body.user ?? null,
    safety_identifier: body.safety_identifier ?? null,
    prompt_cache_key: body.prompt_cache_key ?? null,
    top_logprobs: body.top_logprobs ?? 0,
    include: body.include ?? [],
  };
}
