import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { AppDeps } from '../app-deps.js';
import { BadRequestError, notFound } from '../domain/errors.js';
import { isTerminal, transition } from '../domain/run-status.js';
import { nowSeconds } from '../domain/ids.js';
import type { Run, RunStep } from '../domain/types.js';
import { submitToolOutputs } from '../engine/runs/tool-outputs.js';
import { queueRun } from '../engine/worker/run-handoff.js';
import type { Store } from '../store/store.js';
import { modify } from './modify.js';
import { listQuery, pageQuery, toListPage } from './pagination.js';
import { route } from './route.js';
import { eventView, includeQuery, includes, stepView } from './run-views.js';
import { createRun, createRunBody, createThreadAndRun, createThreadAndRunBody } from './run-create.js';
import { metadataSchema } from './schemas.js';
import { streamRun } from './sse.js';
import type { ApiShape } from './api-version.js';
import { runView, v1FileIds, v1StepView } from './v1-shapes.js';
import { getThread } from './threads.js';
import { keptAssistant, runAssistant } from './run-assistant.js';
import { holdPoll, holdsPoll, pollAfter } from './poll-hold.js';
import { runHold } from './run-hold.js';

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

/** A v1 run's `file_ids`: its assistant's. */
async function assistantFileIds(store: Store, project: string, run: Run): Promise<string[]> {
  return v1FileIds(await store.assistants.get(project, run.assistant_id));
}

/** Answers with the run (and the poll hint), or streams its events from `afterSeq` when the client asked. */
async function respond(deps: AppDeps, input: { request: FastifyRequest; reply: FastifyReply; project: string; shape: ApiShape }, run: Run, stream: boolean | null | undefined, afterSeq: number, withContent = false) {
  const fileIds = input.shape === 'v1' ? await assistantFileIds(deps.store, input.project, run) : undefined;
  if (!stream) {
    pollAfter(input.reply, false);
    return runView(run, input.shape, fileIds);
  }
  const view = eventView({ withContent, shape: input.shape, fileIds });
  await streamRun(input.request, input.reply, { store: deps.store, events: deps.events, project: input.project, runId: run.id, afterSeq, view });
  return undefined;
}

const submitBody = z.object({
  tool_outputs: z.array(z.object({ tool_call_id: z.string().min(1), output: z.string().default('') })),
  stream: z.boolean().nullable().optional(),
});

/**
 * The assistant of a run on an existing thread, read with the thread at once (on Postgres each read is a round
 * trip); an unknown thread is still reported before the assistant.
 */
async function readThreadAndAssistant(deps: AppDeps, project: string, threadId: string, assistantId: string) {
  const [thread, assistant] = await Promise.allSettled([getThread(deps.store, project, threadId), runAssistant(deps.store, project, assistantId)]);
  if (thread.status === 'rejected') throw thread.reason;
  if (assistant.status === 'rejected') throw assistant.reason;
  return assistant.value;
}

export const runRoutes = [
  route({
    method: 'POST',
    path: '/threads/runs',
    summary: 'Create thread and run',
    body: createThreadAndRunBody,
    async handler(input, deps) {
      const run = await createThreadAndRun(deps, input.project, input.request.keyId, input.body);
      return respond(deps, input, run, input.body.stream, 0);
    },
  }),
  route({
    method: 'POST',
    path: '/threads/:thread_id/runs',
    summary: 'Create run',
    body: createRunBody,
    query: includeQuery,
    async handler(input, deps) {
      const { project, params, body } = input;
      // With the assistant kept (Postgres), the create checks both it and the thread: nothing is read first.
      const kept = keptAssistant(deps.store, project, body.assistant_id);
      const owner = kept ?? (await readThreadAndAssistant(deps, project, params.thread_id!, body.assistant_id));
      const run = await createRun(deps, project, input.request.keyId, params.thread_id!, body, owner, undefined, kept !== undefined);
      return respond(deps, input, run, body.stream, 0, includes(input.query));
    },
  }),
  route({
    method: 'GET',
    path: '/threads/:thread_id/runs',
    summary: 'List runs',
    query: listQuery(),
    async handler({ params, query, project, shape }, { store }) {
      const thread = await getThread(store, project, params.thread_id!);
      const page = await store.runs.list(project, pageQuery(query), { thread_id: thread.id });
      const fileIds = new Map<string, string[]>();
      if (shape === 'v1') for (const r of page.data) if (!fileIds.has(r.assistant_id)) fileIds.set(r.assistant_id, await assistantFileIds(store, project, r));
      return toListPage(page, (r) => runView(r, shape, fileIds.get(r.assistant_id)));
    },
  }),
  route({
    method: 'GET',
    path: '/threads/:thread_id/runs/:run_id',
    summary: 'Retrieve run',
    async handler({ params, project, request, reply, shape }, deps) {
      const read = () => getRun(deps.store, project, params.thread_id!, params.run_id!);
      const held = holdsPoll(request, deps.config.pollHoldMs);
      const run = held ? await holdPoll(await runHold(deps, project, params.run_id!, read)) : await read();
      if (!isTerminal(run.status)) pollAfter(reply, held);
      return runView(run, shape, shape === 'v1' ? await assistantFileIds(deps.store, project, run) : undefined);
    },
  }),
  route({
    method: 'POST',
    path: '/threads/:thread_id/runs/:run_id',
    summary: 'Modify run',
    body: z.object({ metadata: metadataSchema.nullable().optional() }),
    async handler({ params, body, project, shape }, { store }) {
      const current = await getRun(store, project, params.thread_id!, params.run_id!);
      const run = await modify(store, project, 'run', current.id, { metadata: body.metadata ?? undefined });
      return runView(run, shape, shape === 'v1' ? await assistantFileIds(store, project, run) : undefined);
    },
  }),
  route({
    method: 'POST',
    path: '/threads/:thread_id/runs/:run_id/cancel',
    summary: 'Cancel run',
    async handler(input, deps) {
      const run = await getRun(deps.store, input.project, input.params.thread_id!, input.params.run_id!);
      if (isTerminal(run.status)) throw new BadRequestError(`Cannot cancel run with status '${run.status}'.`);
      // No event here: the worker holding the run (maybe in another process) is the run's only log writer.
      const next = await deps.store.transaction(async (tx) => {
        const fresh = await tx.runs.get(input.project, run.id);
        if (!fresh || fresh.status === 'cancelling' || isTerminal(fresh.status)) return fresh;
        const moved = transition(fresh, 'cancelling', nowSeconds());
        await tx.runs.replace(input.project, moved);
        return moved;
      });
      // A run in flight stops at its upstream call; one that is not (queued, requires_action) is finished by a worker.
      deps.runs.cancel(run.id);
      deps.runs.kick(input.project, run.id);
      return respond(deps, input, next ?? run, false, 0);
    },
  }),
  route({
    method: 'POST',
    path: '/threads/:thread_id/runs/:run_id/submit_tool_outputs',
    summary: 'Submit tool outputs to run',
    body: submitBody,
    async handler(input, deps) {
      const { body, project } = input;
      const run = await getRun(deps.store, project, input.params.thread_id!, input.params.run_id!);
      const from = await deps.store.runEvents.lastSeq(project, run.id);
      const queued = await queueRun(deps, project, run.id, from, (keeper) => submitToolOutputs(deps.store, deps.events, project, run, body.tool_outputs, keeper.hold));
      queued.start();
      return respond(deps, input, queued.result, body.stream, from);
    },
  }),
  route({
    method: 'GET',
    path: '/threads/:thread_id/runs/:run_id/steps',
    summary: 'List run steps',
    query: listQuery().extend(includeQuery.shape),
    async handler({ params, query, project, shape }, { store }) {
      const run = await getRun(store, project, params.thread_id!, params.run_id!);
      const page = await store.runSteps.list(project, pageQuery(query), { run_id: run.id });
      return toListPage(page, (step) => v1StepView(stepView(step, includes(query)), shape));
    },
  }),
  route({
    method: 'GET',
    path: '/threads/:thread_id/runs/:run_id/steps/:step_id',
    summary: 'Retrieve run step',
    query: includeQuery,
    async handler({ params, project, query, shape }, { store }) {
      const run = await getRun(store, project, params.thread_id!, params.run_id!);
      return v1StepView(stepView(await getStep(store, project, run, params.step_id!), includes(query)), shape);
    },
  }),
];
