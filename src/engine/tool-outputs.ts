import { BadRequestError } from '../domain/errors.js';
import { nowSeconds } from '../domain/ids.js';
import { transition } from '../domain/run-status.js';
import type { Run } from '../domain/types.js';
import type { Store } from '../store/store.js';

export interface ToolOutput {
  tool_call_id: string;
  output: string;
}

/** Checks that `outputs` answer every pending call exactly once, as the hosted API required. */
function checkOutputs(run: Run, outputs: ToolOutput[]): void {
  const pending = run.required_action?.submit_tool_outputs.tool_calls.map((c) => c.id) ?? [];
  const given = outputs.map((o) => o.tool_call_id);
  const unknown = given.find((id) => !pending.includes(id));
  if (unknown) throw new BadRequestError(`No tool call found with id '${unknown}'.`, 'tool_outputs');
  const duplicate = given.find((id, i) => given.indexOf(id) !== i);
  if (duplicate) throw new BadRequestError(`Duplicate tool output for tool call '${duplicate}'.`, 'tool_outputs');
  const missing = pending.filter((id) => !given.includes(id));
  if (missing.length > 0) {
    throw new BadRequestError(`Expected tool outputs for call_ids [${pending.map((id) => `'${id}'`).join(', ')}], got [${given.map((id) => `'${id}'`).join(', ')}]`, 'tool_outputs');
  }
}

/**
 * Records the outputs on the run's tool_calls step and moves the run back to in_progress, in one transaction.
 * The caller kicks the worker afterwards.
 */
export async function submitToolOutputs(store: Store, project: string, run: Run, outputs: ToolOutput[]): Promise<Run> {
  return store.transaction(async (tx) => {
    const current = (await tx.runs.get(project, run.id)) ?? run;
    if (current.status !== 'requires_action') {
      throw new BadRequestError(`Runs in status "${current.status}" do not accept tool outputs.`, null);
    }
    checkOutputs(current, outputs);
    const byId = new Map(outputs.map((o) => [o.tool_call_id, o.output]));
    const steps = await tx.runSteps.list(project, { limit: 100, order: 'desc' }, { run_id: run.id });
    const step = steps.data.find((s) => s.type === 'tool_calls' && s.status === 'in_progress');
    if (step && step.step_details.type === 'tool_calls') {
      const tool_calls = step.step_details.tool_calls.map((c) => (c.type === 'function' ? { ...c, function: { ...c.function, output: byId.get(c.id) ?? c.function.output } } : c));
      await tx.runSteps.replace(project, { ...step, status: 'completed', completed_at: nowSeconds(), step_details: { type: 'tool_calls', tool_calls } });
    }
    const next = transition(current, 'in_progress', nowSeconds());
    await tx.runs.replace(project, next);
    return next;
  });
}
