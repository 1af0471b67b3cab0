import { ID_PREFIX, newId } from '../../domain/ids.js';
import type { Message, MessageContent, Run, RunError, RunStep, StepToolCall } from '../../domain/types.js';
import { ProviderError, type ChatRequest } from '../../providers/chat-model.js';
import type { ChatTurn } from '../../providers/collect-chat.js';
import { streamModelCall, type ModelCallSink } from '../loop/model-call.js';
import type { RunLoopDeps } from './run-loop.js';
import type { MessageTouches } from '../../tools/builtin-tool.js';
import { MessageDeltas, type ContentDelta } from './message-deltas.js';
import { assistantMessage, callsSinceLastMessage, finalContent, messageTouches, NO_TOUCHES } from './run-messages.js';
import { newStep } from './run-updates.js';
import { MessageStart } from './message-start.js';

/** What one model call left behind: the in-progress message and steps it created, and the turn if it finished. */
export interface TurnRecord {
  message?: Message;
  messageStep?: RunStep;
  /** The message and its step as they are written: they and the run's events after them may still be held. */
  start?: MessageStart;
  toolStep?: RunStep;
  /** What the built-in calls before the message add to it (parts, annotations), fixed when it starts. */
  touches?: MessageTouches;
  /** The message's content as streamed, for a model call that ends early (failed, cancelled). */
  content?: MessageContent[];
}

export type TurnOutcome = ({ kind: 'turn'; turn: ChatTurn } | { kind: 'error'; error: RunError }) & TurnRecord;

export function toRunError(err: unknown): RunError {
  if (err instanceof ProviderError) return { code: err.code, message: err.message };
  return { code: 'server_error', message: `The run failed: ${(err as Error)?.message ?? String(err)}` };
}

/** The operator's side of a failed model call: what last_error leaves out (upstream URL, its reply), by run id. */
function logModelFailure(deps: RunLoopDeps, project: string, run: Run, err: unknown): void {
  const upstream = err instanceof ProviderError ? err.upstream : undefined;
  deps.logger?.warn({ runId: run.id, project, model: run.model, upstream, err }, 'model call failed');
}

/** A placeholder for a call in the tool_calls step while the model is still writing it. */
export function pendingCall(id: string, name: string, builtin: ReadonlySet<string>, args = ''): StepToolCall {
  if (builtin.has('code_interpreter') && name === 'code_interpreter') return { id, type: 'code_interpreter', code_interpreter: { input: '', outputs: [] } };
  if (builtin.has('file_search') && name === 'file_search') return { id, type: 'file_search', file_search: {} };
  return { id, type: 'function', function: { name, arguments: args, output: null } };
}

/**
 * Streams one model call. Text creates the assistant message (and its message_creation step) at the first
 * delta; tool calls create the tool_calls step at the first call. Deltas go to the run's event log as they
 * arrive: the message's parts and text with its annotations (see MessageDeltas), and the name and arguments of
 * function calls (built-in calls report their own progress once executed).
 */
export async function streamTurn(
  deps: RunLoopDeps,
  project: string,
  run: Run,
  request: ChatRequest,
  builtin: ReadonlySet<string>,
  signal: AbortSignal,
): Promise<TurnOutcome> {
  const { events } = deps;
  const record: TurnRecord = {};
  let deltas: MessageDeltas | undefined;
  const send = (part: ContentDelta | undefined) => {
    if (part) record.start!.emit({ event: 'thread.message.delta', data: { id: record.message!.id, object: 'thread.message.delta', delta: { content: [part] } } });
  };
  // Held-back text reaches the stream unless the call was interrupted: then nothing more is written (the worker
  // may have lost the run), and the message keeps exactly what was streamed.
  const endText = () => {
    if (!deltas) return;
    if (!signal.aborted) send(deltas.end());
    record.content = finalContent(record.touches ?? NO_TOUCHES, deltas.sentText());
  };
  const startText = async (delta: string) => {
    deltas = new MessageDeltas(await startMessage(deps, project, run, record));
    deltas.parts().forEach(send);
    send(deltas.push(delta));
  };
  const sink: ModelCallSink = {
    text: (delta) => (deltas ? send(deltas.push(delta)) : startText(delta)),
    toolCallSeen: () => (record.toolStep ? undefined : startToolStep(deps, project, run, record)),
    functionCall(d) {
      const call = d.name !== undefined
        ? { index: d.index, id: d.id, type: 'function', function: { name: d.name, arguments: d.arguments, output: null } }
        : { index: d.index, type: 'function', function: { arguments: d.arguments } };
      events.emit(run.id, stepDelta(record.toolStep!, [call]));
    },
  };
  const result = await streamModelCall(deps.models.resolve(run.model, project, { runId: run.id }), request, builtin, sink, signal);
  endText();
  if ('turn' in result) return { kind: 'turn', turn: result.turn, ...record };
  if (!signal.aborted) logModelFailure(deps, project, run, result.error);
  const error = signal.aborted ? { code: 'server_error' as const, message: 'The run was interrupted before the model answered.' } : toRunError(result.error);
  return { kind: 'error', error, ...record };
}

/** A `thread.run.step.delta` event for tool calls of `step`. */
export function stepDelta(step: RunStep, toolCalls: object[]) {
  return { event: 'thread.run.step.delta', data: { id: step.id, object: 'thread.run.step.delta', delta: { step_details: { type: 'tool_calls', tool_calls: toolCalls } } } };
}

/**
 * Opens the turn's message and its step (written shortly after, see MessageStart); returns what the built-in
 * calls before it add to it.
 */
async function startMessage(deps: RunLoopDeps, project: string, run: Run, record: TurnRecord): Promise<MessageTouches> {
  // Only built-in tools touch messages; a run without them skips the lookup.
  const builtin = run.tools.some((t) => t.type !== 'function');
  const touches = builtin ? messageTouches(deps.tools, await callsSinceLastMessage(deps.store, project, run)) : NO_TOUCHES;
  const message = assistantMessage(run);
  const step = newStep(run, newId(ID_PREFIX.step), { type: 'message_creation', message_creation: { message_id: message.id } });
  record.start = new MessageStart(deps.store, deps.events, project, message, step);
  record.message = message;
  record.messageStep = step;
  record.touches = touches;
  return touches;
}

async function startToolStep(deps: RunLoopDeps, project: string, run: Run, record: TurnRecord): Promise<void> {
  // The step's events come after the message's, which wait for its rows.
  await record.start?.write();
  const step = newStep(run, newId(ID_PREFIX.step), { type: 'tool_calls', tool_calls: [] });
  await deps.store.runSteps.insert(project, step);
  record.toolStep = step;
  deps.events.emit(run.id, { event: 'thread.run.step.created', data: step }, { event: 'thread.run.step.in_progress', data: step });
}

