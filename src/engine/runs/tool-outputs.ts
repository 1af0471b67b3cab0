import { BadRequestError } from '../../domain/errors.js';
import type { Run, RunStep } from '../../domain/types.js';
import type { Store } from '../../store/store.js';
import type { RunEventLog } from '../events/run-events.js';
import { endStep, updateRun } from './run-updates.js';

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

/** The tool_calls step with the outputs filled in, completed. */
function answeredStep(step: RunStep, outputs: ToolOutput[]): RunStep {
  if (step.step_details.type !== 'tool_calls') return step;
  const byId = new Map(outputs.map((o) => [o.tool_call_id, o.output]));
  const tool_calls = step.step_details.tool_calls.map((c) => (c.type === 'function' ? { ...c, function: { ...c.function, output: byId.get(c.id) ?? c.function.output } } : c));
  return endStep({ ...step, step_details: { type: 'tool_calls', tool_calls } }, 'completed');
}

/**
 * Records the outputs on the run's tool_calls step and queues the run again, in one transaction with their
 * events (`thread.run.step.completed`, `thread.run.queued`); `hold` writes a local worker's lease in it too
 * (see run-handoff.ts). The caller starts the run afterwards.
 */
export async function submitToolOutputs(store: Store, events: RunEventLog, project: string, run: Run, outputs: ToolOutput[], hold?: (tx: Store) => Promise<void>): Promise<Run> {
  const next = await updateRun(store, events, project, run.id, (current) => {
    if (current.status !== 'requires_action') {
      throw new BadRequestError(`Runs in status "${current.status}" do not accept tool outputs.`, null);
    }
    checkOutputs(current, outputs);
    return {
      to: 'queued',
      async before(tx) {
        await hold?.(tx);
        const steps = await tx.runSteps.list(project, { limit: 100, order: 'desc' }, { run_id: run.id });
        const step = steps.data.find((s) => s.type === 'tool_calls' && s.status === 'in_progress');
        if (!step) return [];
        const done = answeredStep(step, outputs);
        await tx.runSteps.replace(project, done);
        return [{ event: 'thread.run.step.completed', data: done }];
      },
    };
  });
  return next ?? run;
}
