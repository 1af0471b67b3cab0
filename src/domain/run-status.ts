import type { Run, RunStatus } from './types.js';

/** Where a run may go from each status, as the seed's table has it. Terminal statuses go nowhere. */
export const RUN_TRANSITIONS: Readonly<Record<RunStatus, readonly RunStatus[]>> = {
  queued: ['in_progress', 'cancelling', 'cancelled', 'failed', 'expired'],
  in_progress: ['requires_action', 'cancelling', 'completed', 'failed', 'incomplete', 'expired'],
  requires_action: ['queued', 'in_progress', 'cancelling', 'expired', 'failed'],
  cancelling: ['cancelled', 'failed', 'completed', 'incomplete', 'expired'],
  cancelled: [],
  failed: [],
  completed: [],
  incomplete: [],
  expired: [],
};

/** Statuses during which the run holds its thread: no new messages or runs. */
export const ACTIVE_RUN_STATUSES: readonly RunStatus[] = ['queued', 'in_progress', 'requires_action', 'cancelling'];

/** Statuses in which a worker drives the run; only these are claimed, and only these keep a lease. */
export const WORK_RUN_STATUSES: readonly RunStatus[] = ['queued', 'in_progress', 'cancelling'];

export function isTerminal(status: RunStatus): boolean {
  return RUN_TRANSITIONS[status].length === 0;
}

/** An illegal move is a bug in the engine, never a client error. */
export class IllegalTransitionError extends Error {
  constructor(readonly from: RunStatus, readonly to: RunStatus, runId: string) {
    super(`run ${runId} cannot move from ${from} to ${to}`);
    this.name = 'IllegalTransitionError';
  }
}

/**
 * The run moved to `to`, with the timestamp that status carries. Terminal statuses clear `expires_at` and
 * `required_action`, as the hosted API reported them.
 */
export function transition(run: Run, to: RunStatus, now: number, patch: Partial<Run> = {}): Run {
  if (!RUN_TRANSITIONS[run.status].includes(to)) throw new IllegalTransitionError(run.status, to, run.id);
  const next: Run = { ...run, ...patch, status: to };
  if (to === 'in_progress' && next.started_at === null) next.started_at = now;
  if (to === 'cancelled') next.cancelled_at = now;
  if (to === 'failed') next.failed_at = now;
  if (to === 'completed') next.completed_at = now;
  if (to !== 'requires_action') next.required_action = null;
  if (isTerminal(to)) next.expires_at = null;
  return next;
}
