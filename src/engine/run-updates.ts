import { nowSeconds } from '../domain/ids.js';
import { transition } from '../domain/run-status.js';
import type { Run, RunStatus, RunStep } from '../domain/types.js';
import type { Store } from '../store/store.js';

/**
 * Reads the run afresh, lets `decide` pick the next status (or none), and writes it in one transaction, so the
 * worker and the API (cancel, submit) never overwrite each other's changes with a stale copy.
 */
export async function updateRun(
  store: Store,
  project: string,
  runId: string,
  decide: (run: Run) => { to: RunStatus; patch?: Partial<Run> } | undefined,
): Promise<Run | undefined> {
  return store.transaction(async (tx) => {
    const run = await tx.runs.get(project, runId);
    if (!run) return undefined;
    const move = decide(run);
    if (!move) return run;
    const next = transition(run, move.to, nowSeconds(), move.patch);
    await tx.runs.replace(project, next);
    return next;
  });
}

/** A new step of a run, in progress. */
export function newStep(run: Run, id: string, details: RunStep['step_details']): RunStep {
  return {
    id,
    object: 'thread.run.step',
    created_at: nowSeconds(),
    run_id: run.id,
    assistant_id: run.assistant_id,
    thread_id: run.thread_id,
    type: details.type,
    status: 'in_progress',
    cancelled_at: null,
    completed_at: null,
    expired_at: null,
    failed_at: null,
    last_error: null,
    step_details: details,
    usage: null,
    metadata: {},
  };
}

/** The step ended with `status`, stamped with its timestamp. */
export function endStep(step: RunStep, status: 'completed' | 'failed' | 'cancelled', patch: Partial<RunStep> = {}): RunStep {
  const now = nowSeconds();
  return {
    ...step,
    ...patch,
    status,
    ...(status === 'completed' ? { completed_at: now } : status === 'failed' ? { failed_at: now } : { cancelled_at: now }),
  };
}
