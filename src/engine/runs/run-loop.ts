import type { Logger } from 'pino';
import type { BlobStore } from '../../blobs/blob-store.js';
import { ID_PREFIX, newId, nowSeconds } from '../../domain/ids.js';
import type { Message, Run, RunError, RunStep, StepToolCall, Usage } from '../../domain/types.js';
import { ProviderError } from '../../providers/chat-model.js';
import type { ChatTurn } from '../../providers/collect-chat.js';
import type { ModelRegistry } from '../../providers/registry.js';
import type { Store } from '../../store/store.js';
import type { CountedMessage } from '../../store/thread-messages.js';
import type { BuiltinTools } from '../../tools/builtin-tool.js';
import { addUsage } from '../loop/model-call.js';
import { executeBuiltinCalls, offeredTools, type OfferedTools } from './builtin-calls.js';
import { pendingCall, streamTurn, type TurnOutcome } from './model-turn.js';
import { expireMove, expireRun, hasExpired, RUN_EXPIRED, untilExpiry } from './run-expiry.js';
import { buildChatRequest } from './prompt.js';
import type { RunEvent, RunEventLog } from '../events/run-events.js';
import { MessageDeltas } from './message-deltas.js';
import { assistantMessage, callsSinceLastMessage, finalContent, messageTouches, NO_TOUCHES } from './run-messages.js';
import { endStep, newStep, updateRun, type RunMove } from './run-updates.js';

export interface RunLoopDeps {
  store: Store;
  blobs: BlobStore;
  models: ModelRegistry;
  tools: BuiltinTools;
  events: RunEventLog;
  /** Gets what a run's last_error leaves out (the upstream's URL, its reply), with the run id. */
  logger?: Logger;
}

/** The abort reason when this worker lost the run's lease: another worker owns it now, so write nothing. */
export const LEASE_LOST = Symbol('lease lost');

/** A run that keeps calling tools is stopped here rather than looping forever. */
const MAX_MODEL_CALLS = 64;

/** The reason a prompt error ends the run `incomplete` (see engine/prompt.ts), if it is one. */
function incompleteReason(err: unknown): 'max_prompt_tokens' | 'max_completion_tokens' | undefined {
  const reason = (err as { incompleteReason?: unknown } | undefined)?.incompleteReason;
  return reason === 'max_prompt_tokens' || reason === 'max_completion_tokens' ? reason : undefined;
}

/** How a run ends when something fails: cancelled if the client asked meanwhile, else failed with `error`. */
function failMove(error: RunError, extra: Partial<Run> = {}): (r: Run) => RunMove | undefined {
  return (r) =>
    r.status === 'cancelling' ? { to: 'cancelled', patch: extra } : r.status === 'in_progress' ? { to: 'failed', patch: { ...extra, last_error: error } } : undefined;
}

/**
 * What the transaction that created a run here already knows, so the run need not read it back: the run, moved to
 * in_progress, and, when that transaction created the thread too, the thread's every message (its first prompt is
 * built from them).
 */
export interface StartedRun {
  run: Run;
  thread?: Message[];
  /** The thread's first page as the creating transaction read it (a run on an existing thread, on Postgres). */
  firstPage?: CountedMessage[];
}

/**
 * Drives a run the caller holds (lease and event log) until it needs the client (requires_action) or ends.
 * A `resumed` run was in flight on a worker that died: its partial output is closed and it fails with
 * `server_error`. A run still going at its `expires_at` is stopped there and ends `expired`. Expected failures
 * end the run as `failed`; only store errors escape. `started`: a run created here (StartedRun). Returns the run
 * as last written (undefined if it is gone).
 */
export async function executeRun(deps: RunLoopDeps, project: string, runId: string, workerSignal: AbortSignal, resumed = false, started?: StartedRun): Promise<Run | undefined> {
  const { store, events } = deps;
  let run = started?.run ?? await updateRun(store, events, project, runId, (r) => {
    // A run claimed after its `expires_at` (it waited too long, or its worker died) is not started again.
    if (hasExpired(r)) return expireMove(project)(r);
    if (r.status === 'queued') return { to: 'in_progress' };
    if (r.status === 'cancelling') return { to: 'cancelled', before: (tx, next) => closeOpenParts(tx, project, next, 'cancelled') };
    if (r.status === 'in_progress' && resumed) {
      const error: RunError = { code: 'server_error', message: 'The server executing this run stopped before it finished. Create a new run to try again.' };
      return { to: 'failed', patch: { last_error: error }, before: (tx, next) => closeOpenParts(tx, project, next, 'failed', error) };
    }
    return undefined;
  });
  const expiry = untilExpiry(run, workerSignal);
  const { signal } = expiry;
  let calls = 0;
  try {
    while (run?.status === 'in_progress' && !signal.aborted) {
      if (++calls > MAX_MODEL_CALLS) {
        run = await updateRun(store, events, project, runId, failMove({ code: 'server_error', message: `The run made ${MAX_MODEL_CALLS} model calls without finishing.` }));
        break;
      }
      // A run started by the transaction that created it has no steps before its first call.
      run = await step(deps, project, run, signal, calls === 1 && started !== undefined, calls === 1 ? started : undefined);
    }
  } finally {
    expiry.dispose();
  }
  if (signal.reason === RUN_EXPIRED) return (await expireRun(store, events, project, runId)) ?? run;
  if (signal.aborted && signal.reason !== LEASE_LOST) run = await interrupted(deps, project, runId);
  return run;
}

/** One model call and what follows it (tools, status). */
async function step(deps: RunLoopDeps, project: string, run: Run, signal: AbortSignal, fresh: boolean, started?: StartedRun): Promise<Run | undefined> {
  const { store, events } = deps;
  const model = deps.models.resolve(run.model, project);
  const toolCtx = { project, run, store, blobs: deps.blobs, model: model.info, signal };
  let offered: OfferedTools;
  let request;
  try {
    offered = await offeredTools(deps.tools, run, toolCtx);
    const known = { ...(started?.thread ? { thread: started.thread } : {}), ...(started?.firstPage ? { firstPage: started.firstPage } : {}) };
    request = await buildChatRequest(store, project, run, offered.prompt, { model: model.info, blobs: deps.blobs, fresh, ...known });
  } catch (err) {
    const reason = incompleteReason(err);
    if (reason) return updateRun(store, events, project, run.id, (r) => (r.status === 'in_progress' ? { to: 'incomplete', patch: { incomplete_details: { reason } } } : failMove({ code: 'server_error', message: '' })(r)));
    // A prompt that cannot fit the model at all (ContextWindowError) is the client's problem, not a crash.
    if (err instanceof ProviderError) return updateRun(store, events, project, run.id, failMove({ code: err.code, message: err.message }));
    throw err;
  }
  const outcome = await streamTurn(deps, project, run, request, offered.names, signal);
  if (signal.aborted) {
    // Another worker owns the run now: what this one has not written stays unwritten.
    if (signal.reason === LEASE_LOST) outcome.start?.take();
    else {
      // Cancelled or stopping: the message that `interrupted` closes keeps the text already streamed.
      await outcome.start?.write();
      if (outcome.message && outcome.content) await store.messages.replace(project, { ...outcome.message, content: outcome.content });
    }
    return run;
  }
  if (outcome.kind === 'error') {
    await outcome.start?.write();
    return failTurn(deps, project, run, outcome, outcome.error);
  }
  return settleTurn(deps, project, run, outcome, outcome.turn, offered, toolCtx);
}

/** Closes what a failed model call left open and fails (or cancels) the run. */
async function failTurn(deps: RunLoopDeps, project: string, run: Run, record: TurnOutcome, error: RunError): Promise<Run | undefined> {
  const { store, events } = deps;
  return updateRun(store, events, project, run.id, (r) => {
    const move = failMove(error)(r);
    if (!move) return undefined;
    return { ...move, before: async (tx) => endParts(tx, project, record, move.to === 'cancelled' ? 'cancelled' : 'failed', error) };
  }, run);
}

/** Ends the in-progress message and steps of a turn, returning their events. */
async function endParts(tx: Store, project: string, record: TurnOutcome, status: 'failed' | 'cancelled', error: RunError): Promise<Array<{ event: string; data: unknown }>> {
  const out: Array<{ event: string; data: unknown }> = [];
  if (record.message) {
    const message = { ...record.message, content: record.content ?? record.message.content, status: 'incomplete' as const, incomplete_at: nowSeconds(), incomplete_details: { reason: status === 'cancelled' ? 'run_cancelled' : 'run_failed' } };
    await tx.messages.replace(project, message);
    out.push({ event: 'thread.message.incomplete', data: message });
  }
  for (const step of [record.messageStep, record.toolStep]) {
    if (!step) continue;
    const ended = endStep(step, status, status === 'failed' ? { last_error: error } : {});
    await tx.runSteps.replace(project, ended);
    out.push({ event: `thread.run.step.${status}`, data: ended });
  }
  return out;
}

/** After a finished model call: write the message, run built-in tools, then pause for functions or end. */
async function settleTurn(deps: RunLoopDeps, project: string, run: Run, record: TurnOutcome, turn: ChatTurn, offered: OfferedTools, toolCtx: Parameters<typeof executeBuiltinCalls>[3]): Promise<Run | undefined> {
  const { store, events } = deps;
  const calls = turn.tool_calls;
  const usageMove = (r: Run) => addUsage(r.usage, turn.usage);
  if (calls.length === 0) return endRun(deps, project, run, record, turn, usageMove);
  if (record.message && record.messageStep) {
    await record.start?.write();
    await writeFinished(store, events, project, finishedMessage(record, turn, false));
  }
  const toolStep = record.toolStep ?? newStep(run, newId(ID_PREFIX.step), { type: 'tool_calls', tool_calls: [] });
  let stepCalls: StepToolCall[] = calls.map((c) => pendingCall(c.id, c.function.name, offered.names, c.function.arguments));
  const unknown = calls.find((c, i) => stepCalls[i]!.type === 'function' && !run.tools.some((t) => t.type === 'function' && t.function.name === c.function.name));
  const recorded: RunStep = { ...toolStep, usage: turn.usage, step_details: { type: 'tool_calls', tool_calls: stepCalls } };
  if (!record.toolStep) await store.runSteps.insert(project, recorded);
  else await store.runSteps.replace(project, recorded);
  if (unknown) {
    const error: RunError = { code: 'server_error', message: `The model called the tool "${unknown.function.name}", which this run does not offer.` };
    return failTurn(deps, project, run, { ...record, message: undefined, messageStep: undefined, toolStep: recorded }, error);
  }
  const result = await executeBuiltinCalls(deps, recorded, calls, toolCtx);
  if (result.kind === 'error') return failTurn(deps, project, run, { ...record, message: undefined, messageStep: undefined, toolStep: result.step }, result.error);
  stepCalls = result.step.step_details.type === 'tool_calls' ? result.step.step_details.tool_calls : stepCalls;
  const functionCalls = stepCalls.flatMap((c) => (c.type === 'function' ? [{ id: c.id, type: 'function' as const, function: { name: c.function.name, arguments: c.function.arguments } }] : []));
  if (functionCalls.length > 0) {
    return updateRun(store, events, project, run.id, (r) => {
      if (r.status === 'cancelling') return { to: 'cancelled', patch: { usage: usageMove(r) }, before: async (tx) => endParts(tx, project, { kind: 'turn', turn, toolStep: result.step }, 'cancelled', { code: 'server_error', message: '' }) };
      if (r.status !== 'in_progress') return undefined;
      return { to: 'requires_action', patch: { usage: usageMove(r), required_action: { type: 'submit_tool_outputs', submit_tool_outputs: { tool_calls: functionCalls } } } };
    }, run);
  }
  const done = endStep(result.step, 'completed');
  await store.runSteps.replace(project, done);
  events.emit(run.id, { event: 'thread.run.step.completed', data: done });
  return store.transaction(async (tx) => {
    const fresh = await tx.runs.get(project, run.id);
    if (!fresh) return undefined;
    const next = { ...fresh, usage: usageMove(fresh) };
    await tx.runs.replace(project, next);
    return next;
  });
}

/** A model call without tool calls ends the run: its message completes in the same transaction as the run. */
async function endRun(deps: RunLoopDeps, project: string, run: Run, record: TurnOutcome, turn: ChatTurn, usageMove: (r: Run) => Usage): Promise<Run | undefined> {
  const { store, events } = deps;
  const finished = record.message && record.messageStep ? finishedMessage(record, turn, true) : undefined;
  // Not written yet (the model answered at once): the message and step are inserted as they end. Else their
  // write (and the events it shows) must be done before the run's last transaction.
  if (finished) finished.opening = record.start?.take();
  if (finished && !finished.opening) await record.start?.write();
  if (!finished) await writeToolOnlyMessage(deps, project, run);
  const length = turn.finish_reason === 'length';
  let written = false;
  const before = async (tx: Store) => {
    written = true;
    return finished ? writeMessage(tx, project, finished) : [];
  };
  const ended = await updateRun(store, events, project, run.id, (r) => {
    // Decided again on a fresh copy when a first try found the run changed: only the last decision counts.
    written = false;
    if (r.status === 'cancelling') return { to: 'cancelled', patch: { usage: usageMove(r) }, before };
    if (r.status !== 'in_progress') return undefined;
    return length
      ? { to: 'incomplete', patch: { usage: usageMove(r), incomplete_details: { reason: 'max_completion_tokens' } }, before }
      : { to: 'completed', patch: { usage: usageMove(r) }, before };
  }, run);
  // The run moved on meanwhile (it expired): the message still completes.
  if (finished && !written) await writeFinished(store, events, project, finished);
  return ended;
}

interface FinishedMessage {
  message: Message;
  step: RunStep;
  /** The message's opening events when its rows were never written (MessageStart.take). */
  opening?: RunEvent[] | undefined;
}

/** The turn's message completed with the tools' touches (annotations, images), and its step; not yet written. */
function finishedMessage(record: TurnOutcome, turn: ChatTurn, lastTurn: boolean): FinishedMessage {
  const message = { ...record.message!, status: 'completed' as const, completed_at: nowSeconds(), content: finalContent(record.touches ?? NO_TOUCHES, turn.text) };
  return { message, step: endStep(record.messageStep!, 'completed', { usage: lastTurn ? turn.usage : null }) };
}

/** Writes a finished message and its step inside `tx`, returning their events. */
async function writeMessage(tx: Store, project: string, { message, step, opening }: FinishedMessage): Promise<RunEvent[]> {
  const done = [{ event: 'thread.message.completed', data: message }, { event: 'thread.run.step.completed', data: step }];
  if (!opening) {
    await tx.messages.overwrite(project, message);
    await tx.runSteps.overwrite(project, step);
    return done;
  }
  await tx.runSteps.insert(project, step);
  await tx.messages.insert(project, message);
  return [...opening, ...done];
}

/** Writes a finished message on its own (the run goes on: tools follow). */
async function writeFinished(store: Store, events: RunEventLog, project: string, finished: FinishedMessage): Promise<void> {
  const done = await store.transaction((tx) => writeMessage(tx, project, finished));
  events.emit(finished.message.run_id!, ...done);
}

/** A model that ends right after a tool made images still gets a message showing them, streamed like any other. */
async function writeToolOnlyMessage(deps: RunLoopDeps, project: string, run: Run): Promise<void> {
  const { store, events } = deps;
  const since = await callsSinceLastMessage(store, project, run);
  if (since.calls.length === 0) return;
  const touches = messageTouches(deps.tools, since);
  const parts = new MessageDeltas(touches).parts();
  if (parts.length === 0) return;
  const opened = assistantMessage(run);
  const step = newStep(run, newId(ID_PREFIX.step), { type: 'message_creation', message_creation: { message_id: opened.id } });
  const message = { ...opened, status: 'completed' as const, completed_at: nowSeconds(), content: finalContent(touches, '') };
  const done = endStep(step, 'completed');
  await store.transaction(async (tx) => {
    await tx.messages.insert(project, message);
    await tx.runSteps.insert(project, done);
  });
  events.emit(
    run.id,
    { event: 'thread.run.step.created', data: step },
    { event: 'thread.run.step.in_progress', data: step },
    { event: 'thread.message.created', data: opened },
    { event: 'thread.message.in_progress', data: opened },
    ...parts.map((part) => ({ event: 'thread.message.delta', data: { id: opened.id, object: 'thread.message.delta', delta: { content: [part] } } })),
    { event: 'thread.message.completed', data: message },
    { event: 'thread.run.step.completed', data: done },
  );
}

/** The worker stopped mid-run (shutdown or a lost lease): close its open parts and fail it, or cancel it if asked. */
async function interrupted(deps: RunLoopDeps, project: string, runId: string): Promise<Run | undefined> {
  const error: RunError = { code: 'server_error', message: 'The server stopped while executing this run. Create a new run to try again.' };
  return updateRun(deps.store, deps.events, project, runId, (r) => {
    const move = failMove(error)(r);
    return move && { ...move, before: (tx, next) => closeOpenParts(tx, project, next, move.to === 'cancelled' ? 'cancelled' : 'failed', error) };
  });
}

/** Ends every in-progress step and message of the run (after an interruption), returning their events. */
async function closeOpenParts(tx: Store, project: string, run: Run, status: 'failed' | 'cancelled', error?: RunError) {
  const steps = await tx.runSteps.list(project, { limit: 100, order: 'desc' }, { run_id: run.id });
  const out: Array<{ event: string; data: unknown }> = [];
  for (const step of steps.data.filter((s) => s.status === 'in_progress')) {
    const record: TurnOutcome = { kind: 'error', error: error ?? { code: 'server_error', message: '' } };
    if (step.step_details.type === 'message_creation') {
      const message = await tx.messages.get(project, step.step_details.message_creation.message_id);
      if (message?.status === 'in_progress') record.message = message;
      record.messageStep = step;
    } else record.toolStep = step;
    out.push(...(await endParts(tx, project, record, status, error ?? { code: 'server_error', message: '' })));
  }
  return out;
}
