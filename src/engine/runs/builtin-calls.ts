import type { Run, RunError, RunStep, StepToolCall } from '../../domain/types.js';
import type { ChatTool, ChatToolCall } from '../../providers/chat-model.js';
import type { BuiltinTool, BuiltinToolCall, BuiltinToolType, BuiltinTools, ToolContext } from '../../tools/builtin-tool.js';
import { stepDelta } from './model-turn.js';
import type { PromptTools } from './prompt.js';
import type { RunLoopDeps } from './run-loop.js';

/** The built-in tools a run offers the model on its next call. */
export interface OfferedTools {
  /** Function names that are built-in tools (the tool types). */
  names: ReadonlySet<string>;
  prompt: PromptTools;
}

const BUILTIN_TYPES: readonly BuiltinToolType[] = ['code_interpreter', 'file_search'];

/** A tool stopped because the run was cancelled or the worker is stopping; the run loop settles which. */
const INTERRUPTED: RunError = { code: 'server_error', message: 'The run was interrupted.' };

function toolOf(tools: BuiltinTools, type: BuiltinToolType): BuiltinTool | undefined {
  return tools[type] as BuiltinTool | undefined;
}

/** Why a built-in tool cannot run here, as the run's last_error says it. */
function unavailableReason(tools: BuiltinTools, type: BuiltinToolType): string | undefined {
  const tool = toolOf(tools, type);
  if (!tool) return `The ${type} tool is not available on this server.`;
  const reason = tool.unavailable();
  return reason && `The ${type} tool cannot run on this server: ${reason}`;
}

/**
 * The run's built-in tools as functions for the model. A tool this server lacks is still offered under its
 * name, so that a model that calls it ends the run with an error that says why instead of a silent gap.
 */
export async function offeredTools(tools: BuiltinTools, run: Run, ctx: ToolContext): Promise<OfferedTools> {
  const types = BUILTIN_TYPES.filter((type) => run.tools.some((t) => t.type === type));
  const definitions: ChatTool[] = [];
  for (const type of types) {
    const tool = toolOf(tools, type);
    definitions.push(tool ? await tool.definition(ctx) : { type: 'function', function: { name: type, parameters: { type: 'object', properties: {} } } });
  }
  return {
    names: new Set(types),
    prompt: {
      definitions,
      replay(call, ordinal) {
        const tool = toolOf(tools, call.type);
        return tool ? tool.replay(call, ordinal) : { arguments: '{}', output: '' };
      },
    },
  };
}

export type BuiltinResult = { kind: 'ok'; step: RunStep } | { kind: 'error'; error: RunError; step: RunStep };

/**
 * Executes the step's built-in calls in order, storing each finished call in the step and streaming its
 * progress as step deltas. Function calls in the same step are left for the client.
 */
export async function executeBuiltinCalls(deps: RunLoopDeps, step: RunStep, calls: ChatToolCall[], ctx: ToolContext): Promise<BuiltinResult> {
  const { store, events } = deps;
  if (step.step_details.type !== 'tool_calls') return { kind: 'ok', step };
  const stepCalls: StepToolCall[] = [...step.step_details.tool_calls];
  let current = step;
  for (const [index, call] of stepCalls.entries()) {
    if (call.type === 'function') continue;
    const reason = unavailableReason(deps.tools, call.type);
    if (reason) return { kind: 'error', error: { code: 'server_error', message: reason }, step: current };
    const tool = toolOf(deps.tools, call.type)!;
    events.emit(ctx.run.id, stepDelta(current, [{ index, ...call }]));
    let finished: BuiltinToolCall;
    try {
      finished = await tool.execute({ id: call.id, arguments: calls[index]?.function.arguments ?? '' }, ctx, (partial) => {
        events.emit(ctx.run.id, stepDelta(current, [{ index, id: call.id, type: call.type, ...partial }]));
      });
    } catch (err) {
      if (ctx.signal.aborted) return { kind: 'error', error: INTERRUPTED, step: current };
      return { kind: 'error', error: { code: 'server_error', message: `The ${call.type} tool failed: ${(err as Error)?.message ?? String(err)}` }, step: current };
    }
    stepCalls[index] = finished;
    current = { ...current, step_details: { type: 'tool_calls', tool_calls: [...stepCalls] } };
    // Cancelled (or stopped) while the tool ran: the call is kept with what it produced, and the run ends.
    if (ctx.signal.aborted) return { kind: 'error', error: INTERRUPTED, step: current };
    await store.runSteps.replace(ctx.project, current);
  }
  return { kind: 'ok', step: current };
}
