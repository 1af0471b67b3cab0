import type { BlobStore } from '../blobs/blob-store.js';
import { ID_PREFIX, newId, nowSeconds } from '../domain/ids.js';
import type { Message, Run, RunError, RunStep, Usage } from '../domain/types.js';
import { ProviderError, type ChatToolCall } from '../providers/chat-model.js';
import { ChatTurnBuilder, type ChatTurn } from '../providers/collect-chat.js';
import type { ModelRegistry } from '../providers/registry.js';
import type { Store } from '../store/store.js';
import type { BuiltinTools } from '../tools/builtin-tool.js';
import { buildChatRequest } from './prompt.js';
import { endStep, newStep, updateRun } from './run-updates.js';

export interface RunLoopDeps {
  store: Store;
  blobs: BlobStore;
  models: ModelRegistry;
  tools: BuiltinTools;
}

/** How one model call ended. */
type Outcome = { kind: 'turn'; turn: ChatTurn } | { kind: 'error'; error: RunError };

function addUsage(a: Usage | null, b: Usage): Usage {
  return {
    prompt_tokens: (a?.prompt_tokens ?? 0) + b.prompt_tokens,
    completion_tokens: (a?.completion_tokens ?? 0) + b.completion_tokens,
    total_tokens: (a?.total_tokens ?? 0) + b.total_tokens,
  };
}

function toRunError(err: unknown): RunError {
  if (err instanceof ProviderError) return { code: err.code, message: err.message };
  return { code: 'server_error', message: `The run failed: ${(err as Error)?.message ?? String(err)}` };
}

/** The assistant message a run writes, created at its first text delta. */
function assistantMessage(run: Run): Message {
  return {
    id: newId(ID_PREFIX.message),
    object: 'thread.message',
    created_at: nowSeconds(),
    thread_id: run.thread_id,
    status: 'in_progress',
    incomplete_details: null,
    completed_at: null,
    incomplete_at: null,
    role: 'assistant',
    content: [],
    assistant_id: run.assistant_id,
    run_id: run.id,
    attachments: [],
    metadata: {},
  };
}

/**
 * Drives a run until it needs the client (requires_action) or ends. Safe to call for any run: one that is not
 * queued, in_progress or cancelling is left alone. Expected failures end the run as `failed`; only store errors
 * escape.
 */
export async function executeRun(deps: RunLoopDeps, project: string, runId: string, signal: AbortSignal): Promise<void> {
  const { store } = deps;
  let run = await updateRun(store, project, runId, (r) => {
    if (r.status === 'queued') return { to: 'in_progress' };
    if (r.status === 'cancelling') return { to: 'cancelled' };
    return undefined;
  });
  while (run?.status === 'in_progress') {
    const outcome = await callModel(deps, project, run, signal);
    run = await settle(deps, project, run, outcome);
  }
}

/** One model call, recorded as a message_creation step and message when the model writes text. */
async function callModel(deps: RunLoopDeps, project: string, run: Run, signal: AbortSignal): Promise<Outcome> {
  const { store } = deps;
  let message: Message | undefined;
  let step: RunStep | undefined;
  const builder = new ChatTurnBuilder();
  try {
    const request = await buildChatRequest(store, project, run, { definitions: [], replay: () => ({ arguments: "{}", output: "" }) });
    for await (const event of deps.models.resolve(run.model).stream(request, signal)) {
      if (event.type === 'text' && !message) {
        message = assistantMessage(run);
        step = newStep(run, newId(ID_PREFIX.step), { type: 'message_creation', message_creation: { message_id: message.id } });
        await store.messages.insert(project, message);
        await store.runSteps.insert(project, step);
      }
      builder.add(event);
    }
    const turn = builder.turn();
    if (message && step) {
      const now = nowSeconds();
      await store.messages.replace(project, {
        ...message,
        status: 'completed',
        completed_at: now,
        content: [{ type: 'text', text: { value: turn.text, annotations: [] } }],
      });
      await store.runSteps.replace(project, endStep(step, 'completed', { usage: turn.tool_calls.length ? null : turn.usage }));
    }
    return { kind: 'turn', turn };
  } catch (err) {
    const error = signal.aborted ? { code: 'server_error' as const, message: 'The run was interrupted before the model answered.' } : toRunError(err);
    if (message && step) {
      const now = nowSeconds();
      await store.messages.replace(project, { ...message, status: 'incomplete', incomplete_at: now, incomplete_details: { reason: signal.aborted ? 'run_cancelled' : 'run_failed' } });
      await store.runSteps.replace(project, signal.aborted ? endStep(step, 'cancelled') : endStep(step, 'failed', { last_error: error }));
    }
    return { kind: 'error', error };
  }
}

/** Moves the run on after a model call: to requires_action, completed, failed, or cancelled if asked meanwhile. */
async function settle(deps: RunLoopDeps, project: string, run: Run, outcome: Outcome): Promise<Run | undefined> {
  const { store } = deps;
  if (outcome.kind === 'error') {
    return updateRun(store, project, run.id, (r) =>
      r.status === 'cancelling' ? { to: 'cancelled' } : r.status === 'in_progress' ? { to: 'failed', patch: { last_error: outcome.error } } : undefined,
    );
  }
  const { turn } = outcome;
  const calls = turn.tool_calls;
  const unknown = calls.find((c) => !run.tools.some((t) => t.type === 'function' && t.function.name === c.function.name));
  // The step exists before the run asks for outputs, so a client that sees requires_action also sees the step.
  const step = calls.length > 0 && !unknown ? toolCallsStep(run, calls, turn.usage) : undefined;
  if (step) await store.runSteps.insert(project, step);
  const next = await updateRun(store, project, run.id, (r) => {
    const usage = addUsage(r.usage, turn.usage);
    if (r.status === 'cancelling') return { to: 'cancelled', patch: { usage } };
    if (r.status !== 'in_progress') return undefined;
    if (unknown) {
      const message = `The model called the tool "${unknown.function.name}", which this run does not offer as a function (built-in tools are not available yet).`;
      return { to: 'failed', patch: { usage, last_error: { code: 'server_error', message } } };
    }
    if (!step) return { to: 'completed', patch: { usage } };
    const toolCalls = calls.map((c) => ({ id: c.id, type: 'function' as const, function: { ...c.function } }));
    return { to: 'requires_action', patch: { usage, required_action: { type: 'submit_tool_outputs', submit_tool_outputs: { tool_calls: toolCalls } } } };
  });
  if (step && next?.status !== 'requires_action') await store.runSteps.replace(project, endStep(step, 'cancelled'));
  return next;
}

function toolCallsStep(run: Run, calls: ChatToolCall[], usage: Usage): RunStep {
  const step = newStep(run, newId(ID_PREFIX.step), {
    type: 'tool_calls',
    tool_calls: calls.map((c) => ({ id: c.id, type: 'function', function: { ...c.function, output: null } })),
  });
  return { ...step, usage };
}
