import { z } from 'zod';
import type { AppDeps } from '../app-deps.js';
import { ID_PREFIX, newId, nowSeconds } from '../domain/ids.js';
import { transition } from '../domain/run-status.js';
import { buildMessage } from '../domain/messages.js';
import type { Assistant, Message, Run, ToolChoice } from '../domain/types.js';
import { assertThreadUnlocked, refusedIfLocked } from '../engine/runs/thread-lock.js';
import { refuseStaleAssistant, runAssistant, type RunAssistant } from './run-assistant.js';
import { isStaleAssistant } from '../store/assistants-repo.js';
import { checkMessageFiles } from './messages.js';
import { queueRun } from '../engine/worker/run-handoff.js';
import { FIRST_PAGE } from '../engine/runs/thread-window.js';
import type { CountedMessage } from '../store/thread-messages.js';
import { addAttachmentsToThreadStore, withAttachmentStore } from './thread-vector-store.js';
import { messageInputSchema, metadataSchema, reasoningEffortSchema, responseFormatSchema, temperatureSchema, toolResourcesSchema, toolsSchema, topPSchema } from './schemas.js';
import { insertThread, prepareThread, threadCreateBody, type NewThread } from './threads.js';

const toolChoiceSchema = z.union([
  z.enum(['none', 'auto', 'required']),
  z.object({ type: z.literal('function'), function: z.object({ name: z.string().min(1) }) }),
  z.object({ type: z.enum(['code_interpreter', 'file_search']) }),
]);

const truncationSchema = z.object({
  type: z.enum(['auto', 'last_messages']),
  last_messages: z.number().int().min(1).nullable().optional(),
});

/** What create run and create thread and run share. */
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

export const createRunBody = runOptionsSchema.extend({
  reasoning_effort: reasoningEffortSchema.optional(),
  additional_instructions: z.string().max(256_000).nullable().optional(),
  additional_messages: z.array(messageInputSchema).max(32).nullable().optional(),
});

export const createThreadAndRunBody = runOptionsSchema.extend({
  thread: threadCreateBody.optional(),
  tool_resources: toolResourcesSchema.nullable().optional(),
});

type RunOptions = z.infer<typeof createRunBody>;

/** The run object as created: the request's overrides over the assistant's settings. */
/** `expirySeconds`: a run not finished by then ends `expired` (ten minutes by default, as the hosted API's did). */
function newRun(threadId: string, assistant: Assistant, body: RunOptions, expirySeconds: number): Run {
  const now = nowSeconds();
  const instructions = [body.instructions ?? assistant.instructions ?? '', body.additional_instructions ?? '']
    .filter((s) => s !== '')
    .join('\n\n');
  return {
    id: newId(ID_PREFIX.run),
    object: 'thread.run',
    created_at: now,
    thread_id: threadId,
    assistant_id: assistant.id,
    status: 'queued',
    required_action: null,
    last_error: null,
    expires_at: now + expirySeconds,
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

/**
 * Creates a run on a thread: lock check, additional messages, the run and its first events
 * (`thread.run.created`, `thread.run.queued`, after `thread.created` when the thread is new) in one
 * transaction; then the run starts. `opening`: a new thread, to store in that same transaction. `keyId`: the hash
 * of the request's API key, for per-key rate limits. `unread`: the caller has not read the thread: the transaction
 * checks it is there (a 404 if not), as it takes the thread's lock.
 */
export async function createRun(deps: AppDeps, project: string, keyId: string, threadId: string, body: RunOptions, assistant?: RunAssistant, opening?: NewThread, unread = false): Promise<Run> {
  const owner = assistant ?? (await runAssistant(deps.store, project, body.assistant_id));
  const additional = body.additional_messages ?? [];
  for (const [index, message] of additional.entries()) await checkMessageFiles(deps.store, project, message, `additional_messages[${index}]`);
  const built = additional.map((message) => buildMessage(threadId, message));
  const { run, queued, firstPageRead } = await queueNewRun(deps, project, keyId, threadId, body, owner, built, opening, unread).catch(async (err: unknown) => {
    if (!isStaleAssistant(err)) throw err;
    // The assistant kept by this process was changed or deleted through another replica: the run is made again
    // from it as it is now (or answered 404), with no version to check, as where nothing is kept: at most once.
    const fresh = await runAssistant(deps.store, project, body.assistant_id, true);
    return queueNewRun(deps, project, keyId, threadId, body, { assistant: fresh.assistant }, built, opening, unread);
  });
  deps.events.committed(run.id);
  deps.events.statusChanged(project, queued.result ?? run, true);
  const attached = [...(opening?.messages ?? []), ...built];
  // Read by the create on Postgres (see queueNewRun); without it the prompt reads the thread itself.
  const firstPage = await firstPageRead;
  try {
    // Files attached for file_search go into the thread's vector store; the run waits for it to be ready.
    if (attached.length > 0) await addAttachmentsToThreadStore(deps, project, threadId, attached);
  } finally {
    // A thread created here has only the messages just stored (the run locks it): its first prompt needs no read.
    queued.start(queued.result && { run: queued.result, ...(opening ? { thread: opening.messages } : {}), ...(firstPage ? { firstPage } : {}) });
  }
  return run;
}

/** The run built from `owner` and queued: its creating transaction, which checks `owner` is still as read. */
async function queueNewRun(deps: AppDeps, project: string, keyId: string, threadId: string, body: RunOptions, owner: RunAssistant, built: Message[], opening: NewThread | undefined, unread: boolean) {
  const run = newRun(threadId, owner.assistant, body, deps.config.runExpirySeconds);
  const first = [{ event: 'thread.run.created', data: run }, { event: 'thread.run.queued', data: run }];
  let firstPageRead: Promise<CountedMessage[] | undefined> | undefined;
  // A new run's log is empty: its numbering starts at 0.
  const queued = await queueRun(deps, project, run.id, 0, (keeper) =>
    refusedIfLocked(threadId, deps.store.transaction(async (tx) => {
      if (opening) await insertThread(tx, project, opening);
      else await assertThreadUnlocked(tx, project, threadId, 'exclusive', unread);
      await refuseStaleAssistant(tx, project, owner);
      for (const message of built) await tx.messages.insert(project, message);
      // A run this process keeps starts in the same transaction: one write and one wake-up fewer.
      const stored = keeper.local ? transition(run, 'in_progress', nowSeconds()) : run;
      await keeper.insert(tx, project, stored);
      const started = keeper.local ? [{ event: 'thread.run.in_progress', data: stored }] : [];
      await deps.events.commit(tx, project, run.id, [...(opening ? [{ event: 'thread.created', data: opening.thread }] : []), ...first, ...started], 0);
      // Last, so the concurrent-run lock it takes is held only until the commit.
      await deps.rateLimiter?.admitRun(tx, project, keyId, run.id);
      // On Postgres the first prompt's read of an existing thread goes with the commit: a round trip fewer.
      // (The run holds the thread from here on, so the messages it reads are still the thread's when it starts.)
      if (keeper.local && !opening && deps.store.capabilities.dialect === 'postgres') {
        // Waited for after the commit. A transaction that fails fails it too (nothing waits for it then), and a
        // failed read is only a read the prompt makes again.
        firstPageRead = tx.threadMessages.page(project, threadId, { order: 'desc', limit: FIRST_PAGE, exceptRun: run.id }, true).catch(() => undefined);
      }
      return keeper.local ? stored : undefined;
    })),
  );
  return { run, queued, firstPageRead };
}

/** Create thread and run: the assistant is checked first so a bad id leaves no thread behind. */
export async function createThreadAndRun(deps: AppDeps, project: string, keyId: string, body: z.infer<typeof createThreadAndRunBody>): Promise<Run> {
  const threadBody = { ...(body.thread ?? {}) };
  if (body.tool_resources && !threadBody.tool_resources) threadBody.tool_resources = body.tool_resources;
  // A vector store helper is created before the transaction: with one the assistant is read rather than taken as
  // kept, so one deleted through another replica still leaves no store behind.
  const helpers = threadBody.tool_resources?.file_search?.vector_stores ?? [];
  const assistant = await runAssistant(deps.store, project, body.assistant_id, helpers.length > 0);
  // The thread, its messages, the vector store for their file_search attachments and the run share one
  // transaction, so a refused run leaves nothing behind; the files go into the store once it is stored.
  const opening = await withAttachmentStore(deps, project, await prepareThread(deps, project, threadBody));
  return createRun(deps, project, keyId, opening.thread.id, body, assistant, opening);
}
