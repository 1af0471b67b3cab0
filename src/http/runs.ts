import { z } from 'zod';
import type { AppDeps } from '../app-deps.js';
import { BadRequestError, notFound } from '../domain/errors.js';
import { ID_PREFIX, newId, nowSeconds } from '../domain/ids.js';
import { buildMessage } from '../domain/messages.js';
import { isTerminal } from '../domain/run-status.js';
import type { Assistant, Run, RunStep, Thread, ToolChoice } from '../domain/types.js';
import { assertThreadUnlocked } from '../engine/thread-lock.js';
import { updateRun } from '../engine/run-updates.js';
import { submitToolOutputs } from '../engine/tool-outputs.js';
import type { Store } from '../store/store.js';
import { getAssistant } from './assistants.js';
import { checkMessageFiles } from './messages.js';
import { listQuery, pageQuery, toListPage } from './pagination.js';
import { route } from './route.js';
import { messageInputSchema, metadataSchema, responseFormatSchema, temperatureSchema, toolsSchema, topPSchema } from './schemas.js';
import { getThread } from './threads.js';

/** Requires_action runs expire ten minutes after creation, as the hosted API's did. */
const RUN_EXPIRY_SECONDS = 600;

const toolChoiceSchema = z.union([
  z.enum(['none', 'auto', 'required']),
  z.object({ type: z.literal('function'), function: z.object({ name: z.string().min(1) }) }),
  z.object({ type: z.enum(['code_interpreter', 'file_search']) }),
]);

const truncationSchema = z.object({
  type: z.enum(['auto', 'last_messages']),
  last_messages: z.number().int().min(1).nullable().optional(),
});

export const runOptionsSchema = z.object({
  assistant_id: z.string().min(1),
  model: z.string().min(1).nullable().optional(),
  instructions: z.string().max(256_000).nullable().optional(),
  tools: toolsSchema.nullable().optional(),
  metadata: metadataSchema.nullable().optional(),
  temperature: temperatureSchema.optional(),
  top_p: topPSchema.optional(),
  max_prompt_tokens: z.number().int().min(256).nullable().optional(),
  max_completion_tokens: z.number().int().min(16).nullable().optional(),
  truncation_strategy: truncationSchema.nullable().optional(),
  response_format: responseFormatSchema.optional(),
  tool_choice: toolChoiceSchema.nullable().optional(),
  parallel_tool_calls: z.boolean().optional(),
  stream: z.boolean().nullable().optional(),
});

const createBody = runOptionsSchema.extend({
  additional_instructions: z.string().max(256_000).nullable().optional(),
  additional_messages: z.array(messageInputSchema).max(32).nullable().optional(),
});

type RunOptions = z.infer<typeof createBody>;

function rejectStreaming(stream: boolean | null | undefined): void {
  if (stream) throw new BadRequestError('Streaming runs are not supported by this server yet; poll the run instead.', 'stream');
}

/** The run object as created: the request's overrides over the assistant's settings. */
function newRun(thread: Thread, assistant: Assistant, body: RunOptions): Run {
  const now = nowSeconds();
  const instructions = [body.instructions ?? assistant.instructions ?? '', body.additional_instructions ?? '']
    .filter((s) => s !== '')
    .join('\n\n');
  return {
    id: newId(ID_PREFIX.run),
    object: 'thread.run',
    created_at: now,
    thread_id: thread.id,
    assistant_id: assistant.id,
    status: 'queued',
    required_action: null,
    last_error: null,
    expires_at: now + RUN_EXPIRY_SECONDS,
    started_at: null,
    cancelled_at: null,
    failed_at: null,
    completed_at: null,
    incomplete_details: null,
    model: body.model ?? assistant.model,
    instructions,
    tools: body.tools ?? assistant.tools,
    metadata: body.metadata ?? {},
    usage: null,
    temperature: body.temperature !== undefined ? body.temperature : assistant.temperature ?? 1,
    top_p: body.top_p !== undefined ? body.top_p : assistant.top_p ?? 1,
    max_prompt_tokens: body.max_prompt_tokens ?? null,
    max_completion_tokens: body.max_completion_tokens ?? null,
    truncation_strategy: { type: body.truncation_strategy?.type ?? 'auto', last_messages: body.truncation_strategy?.last_messages ?? null },
    response_format: body.response_format !== undefined ? body.response_format : assistant.response_format ?? 'auto',
    tool_choice: (body.tool_choice ?? 'auto') as ToolChoice,
    parallel_tool_calls: body.parallel_tool_calls ?? true,
  };
}

/** Creates a run on a thread: lock check, additional messages and the run in one transaction, then the kick. */
export async function createRun(deps: AppDeps, project: string, thread: Thread, body: RunOptions): Promise<Run> {
  rejectStreaming(body.stream);
  const assistant = await getAssistant(deps.store, project, body.assistant_id);
  const additional = body.additional_messages ?? [];
  for (const [index, message] of additional.entries()) await checkMessageFiles(deps.store, project, message, `additional_messages[${index}]`);
  const run = newRun(thread, assistant, body);
  await deps.store.transaction(async (tx) => {
    await assertThreadUnlocked(tx, project, thread.id);
    for (const message of additional) await tx.messages.insert(project, buildMessage(thread.id, message));
    await tx.runs.insert(project, run);
  });
  deps.runs.kick(project, run.id);
  return run;
}

export async function getRun(store: Store, project: string, threadId: string, id: string): Promise<Run> {
  const run = await store.runs.get(project, id);
  if (!run || run.thread_id !== threadId) throw notFound('run', id);
  return run;
}

async function getStep(store: Store, project: string, run: Run, id: string): Promise<RunStep> {
  const step = await store.runSteps.get(project, id);
  if (!step || step.run_id !== run.id) throw notFound('run step', id);
  return step;
}

const submitBody = z.object({
  tool_outputs: z.array(z.object({ tool_call_id: z.string().min(1), output: z.string().default('') })),
  stream: z.boolean().nullable().optional(),
});

export const runRoutes = [
  route({
    method: 'POST',
    path: '/threads/:thread_id/runs',
    summary: 'Create run',
    body: createBody,
    async handler({ params, body, project }, deps) {
      return createRun(deps, project, await getThread(deps.store, project, params.thread_id!), body);
    },
  }),
  route({
    method: 'GET',
    path: '/threads/:thread_id/runs',
    summary: 'List runs',
    query: listQuery(),
    async handler({ params, query, project }, { store }) {
      const thread = await getThread(store, project, params.thread_id!);
      return toListPage(await store.runs.list(project, pageQuery(query), { thread_id: thread.id }));
    },
  }),
  route({
    method: 'GET',
    path: '/threads/:thread_id/runs/:run_id',
    summary: 'Retrieve run',
    async handler({ params, project }, { store }) {
      return getRun(store, project, params.thread_id!, params.run_id!);
    },
  }),
  route({
    method: 'POST',
    path: '/threads/:thread_id/runs/:run_id',
    summary: 'Modify run',
    body: z.object({ metadata: metadataSchema.nullable().optional() }),
    async handler({ params, body, project }, { store }) {
      const current = await getRun(store, project, params.thread_id!, params.run_id!);
      return store.transaction(async (tx) => {
        const fresh = (await tx.runs.get(project, current.id)) ?? current;
        const next: Run = { ...fresh, ...(body.metadata != null ? { metadata: body.metadata } : {}) };
        await tx.runs.replace(project, next);
        return next;
      });
    },
  }),
  route({
    method: 'POST',
    path: '/threads/:thread_id/runs/:run_id/cancel',
    summary: 'Cancel run',
    async handler({ params, project }, deps) {
      const run = await getRun(deps.store, project, params.thread_id!, params.run_id!);
      if (isTerminal(run.status)) throw new BadRequestError(`Cannot cancel run with status '${run.status}'.`);
      const next = await updateRun(deps.store, project, run.id, (r) => (r.status === 'cancelling' || isTerminal(r.status) ? undefined : { to: 'cancelling' }));
      // A run in flight stops at its upstream call; one that is not (queued, requires_action) is finished by the worker.
      if (!deps.runs.abort(run.id)) deps.runs.kick(project, run.id);
      return next;
    },
  }),
  route({
    method: 'POST',
    path: '/threads/:thread_id/runs/:run_id/submit_tool_outputs',
    summary: 'Submit tool outputs to run',
    body: submitBody,
    async handler({ params, body, project }, deps) {
      rejectStreaming(body.stream);
      const run = await getRun(deps.store, project, params.thread_id!, params.run_id!);
      const next = await submitToolOutputs(deps.store, project, run, body.tool_outputs);
      deps.runs.kick(project, run.id);
      return next;
    },
  }),
  route({
    method: 'GET',
    path: '/threads/:thread_id/runs/:run_id/steps',
    summary: 'List run steps',
    query: listQuery(),
    async handler({ params, query, project }, { store }) {
      const run = await getRun(store, project, params.thread_id!, params.run_id!);
      return toListPage(await store.runSteps.list(project, pageQuery(query), { run_id: run.id }));
    },
  }),
  route({
    method: 'GET',
    path: '/threads/:thread_id/runs/:run_id/steps/:step_id',
    summary: 'Retrieve run step',
    async handler({ params, project }, { store }) {
      const run = await getRun(store, project, params.thread_id!, params.run_id!);
      return getStep(store, project, run, params.step_id!);
    },
  }),
];
