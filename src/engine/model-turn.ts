import { ID_PREFIX, newId } from '../domain/ids.js';
import type { Message, Run, RunError, RunStep, StepToolCall } from '../domain/types.js';
import { ProviderError, type ChatRequest } from '../providers/chat-model.js';
import { ChatTurnBuilder, type ChatTurn } from '../providers/collect-chat.js';
import type { RunLoopDeps } from './run-loop.js';
import { assistantMessage } from './run-messages.js';
import { newStep } from './run-updates.js';

/** What one model call left behind: the in-progress message and steps it created, and the turn if it finished. */
export interface TurnRecord {
  message?: Message;
  messageStep?: RunStep;
  toolStep?: RunStep;
}

export type TurnOutcome = ({ kind: 'turn'; turn: ChatTurn } | { kind: 'error'; error: RunError }) & TurnRecord;

export function toRunError(err: unknown): RunError {
  if (err instanceof ProviderError) return { code: err.code, message: err.message };
  return { code: 'server_error', message: `The run failed: ${(err as Error)?.message ?? String(err)}` };
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
 * arrive: message text, and the name and arguments of function calls (built-in calls report their own progress
 * once executed).
 */
export async function streamTurn(
  deps: RunLoopDeps,
  project: string,
  run: Run,
  request: ChatRequest,
  builtin: ReadonlySet<string>,
  signal: AbortSignal,
): Promise<TurnOutcome> {
  const { store, events } = deps;
  const record: TurnRecord = {};
  const builder = new ChatTurnBuilder();
  const names = new Map<number, string>();
  const ids = new Map<number, string>();
  try {
    for await (const event of deps.models.resolve(run.model, project).stream(request, signal)) {
      builder.add(event);
      if (event.type === 'text') {
        if (!record.message) await startMessage(deps, project, run, record);
        events.emit(run.id, {
          event: 'thread.message.delta',
          data: { id: record.message!.id, object: 'thread.message.delta', delta: { content: [{ index: 0, type: 'text', text: { value: event.delta, annotations: [] } }] } },
        });
      } else if (event.type === 'tool_call') {
        if (!record.toolStep) await startToolStep(deps, project, run, record);
        if (event.name !== undefined) names.set(event.index, event.name);
        if (event.id !== undefined) ids.set(event.index, event.id);
        const name = names.get(event.index) ?? '';
        if (builtin.has(name)) continue;
        const first = event.name !== undefined;
        const call = first
          ? { index: event.index, id: ids.get(event.index), type: 'function', function: { name, arguments: event.arguments_delta, output: null } }
          : { index: event.index, type: 'function', function: { arguments: event.arguments_delta } };
        events.emit(run.id, stepDelta(record.toolStep!, [call]));
      }
    }
    return { kind: 'turn', turn: builder.turn(), ...record };
  } catch (err) {
    const error = signal.aborted ? { code: 'server_error' as const, message: 'The run was interrupted before the model answered.' } : toRunError(err);
    return { kind: 'error', error, ...record };
  }
}

/** A `thread.run.step.delta` event for tool calls of `step`. */
export function stepDelta(step: RunStep, toolCalls: object[]) {
  return { event: 'thread.run.step.delta', data: { id: step.id, object: 'thread.run.step.delta', delta: { step_details: { type: 'tool_calls', tool_calls: toolCalls } } } };
}

async function startMessage(deps: RunLoopDeps, project: string, run: Run, record: TurnRecord): Promise<void> {
  const message = assistantMessage(run);
  const step = newStep(run, newId(ID_PREFIX.step), { type: 'message_creation', message_creation: { message_id: message.id } });
  await deps.store.transaction(async (tx) => {
    await tx.runSteps.insert(project, step);
    await tx.messages.insert(project, message);
  });
  record.message = message;
  record.messageStep = step;
  deps.events.emit(
    run.id,
    { event: 'thread.run.step.created', data: step },
    { event: 'thread.run.step.in_progress', data: step },
    { event: 'thread.message.created', data: message },
    { event: 'thread.message.in_progress', data: message },
  );
}

async function startToolStep(deps: RunLoopDeps, project: string, run: Run, record: TurnRecord): Promise<void> {
  const step = newStep(run, newId(ID_PREFIX.step), { type: 'tool_calls', tool_calls: [] });
  await deps.store.runSteps.insert(project, step);
  record.toolStep = step;
  deps.events.emit(run.id, { event: 'thread.run.step.created', data: step }, { event: 'thread.run.step.in_progress', data: step });
}

