import { nowSeconds } from '../../domain/ids.js';
import { transition } from '../../domain/run-status.js';
import type { Run, RunStatus, RunStep } from '../../domain/types.js';
import { isStaleWrite } from '../../store/stale-write.js';
import type { Store } from '../../store/store.js';
import type { RunEvent, RunEventLog } from '../events/run-events.js';

/** A status move decided on the run's fresh copy, with events to log before the run's own status event. */
export interface RunMove {
  to: RunStatus;
  patch?: Partial<Run>;
  /** Written inside the same transaction, before `thread.run.<status>` (e.g. a step's completion). */
  before?: (tx: Store, run: Run) => Promise<RunEvent[]>;
}

/**
 * Reads the run afresh, lets `decide` pick the next status (or none), and writes it with its
 * `thread.run.<status>` event in one transaction, so the worker and the API (cancel, submit) never overwrite
 * each other's changes with a stale copy and every reader sees the status in the log exactly when it is stored.
 * Called by the worker holding the run, or by the API on a run no worker holds. `known`: the run as the caller
 * last wrote or read it; the move is decided on it and written only if the stored run is still that one,
 * which saves the read when nobody else changed it (else the run is read afresh and decided again). Where the
 * store can check that at the commit (Postgres), the whole transaction is one round trip; when the check fails,
 * nothing was written and the move is made again on a fresh copy. `decide` (and a move's `before`) may so run
 * twice: the last call is the one that counts.
 */
export async function updateRun(
  store: Store,
  events: RunEventLog,
  project: string,
  runId: string,
  decide: (run: Run) => RunMove | undefined,
  known?: Run,
): Promise<Run | undefined> {
  if (!known || !store.runs.replaceIfAtCommit) return moveRun(store, events, project, runId, decide, known, false);
  try {
    return await moveRun(store, events, project, runId, decide, known, true);
  } catch (err) {
    if (!isStaleWrite(err)) throw err;
  }
  return moveRun(store, events, project, runId, decide, undefined, false);
}

/** One try of updateRun; `atCommit`: the write over `known` is checked as the transaction commits. */
async function moveRun(
  store: Store,
  events: RunEventLog,
  project: string,
  runId: string,
  decide: (run: Run) => RunMove | undefined,
  known: Run | undefined,
  atCommit: boolean,
): Promise<Run | undefined> {
  let moved = false;
  let written = false;
  // Deltas already emitted are written by this transaction, before its events, so the log never has a gap.
  await events.beginCommit(runId);
  let result: Run | undefined;
  try {
    result = await store.transaction(async (tx) => {
      const write = async (move: RunMove, next: Run) => {
        const before = move.before ? await move.before(tx, next) : [];
        await events.commit(tx, project, runId, [...before, { event: `thread.run.${next.status}`, data: next }]);
        moved = true;
        return next;
      };
      const guess = known && decide(known);
      if (known && guess) {
        const next = transition(known, guess.to, nowSeconds(), guess.patch);
        if (atCommit) {
          await tx.runs.replaceIfAtCommit!(project, next, known);
          return write(guess, next);
        }
        if (await tx.runs.replaceIf(project, next, known)) return write(guess, next);
      }
      const run = await tx.runs.get(project, runId);
      if (!run) return undefined;
      const move = decide(run);
      if (!move) return run;
      const next = transition(run, move.to, nowSeconds(), move.patch);
      await tx.runs.overwrite(project, next);
      return write(move, next);
    });
    written = moved;
  } finally {
    if (!written) events.abandon(runId);
  }
  if (written) {
    events.committed(runId);
    if (result) events.statusChanged(project, result);
  }
  return result;
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
export function endStep(step: RunStep, status: 'completed' | 'failed' | 'cancelled' | 'expired', patch: Partial<RunStep> = {}): RunStep {
  const now = nowSeconds();
  const stamp = { completed: { completed_at: now }, failed: { failed_at: now }, cancelled: { cancelled_at: now }, expired: { expired_at: now } }[status];
  return { ...step, ...patch, status, ...stamp };
}
