import { nowSeconds } from '../../domain/ids.js';
import { ACTIVE_RUN_STATUSES } from '../../domain/run-status.js';
import type { Run } from '../../domain/types.js';
import type { Store } from '../../store/store.js';
import type { RunEvent, RunEventLog } from '../events/run-events.js';
import { endStep, updateRun, type RunMove } from './run-updates.js';

/** The abort reason when a run reached its `expires_at` while a worker was executing it. */
export const RUN_EXPIRED = Symbol('run expired');

/** True once the run's `expires_at` (unix seconds) has passed at `nowMs`. */
export function hasExpired(run: Run, nowMs = Date.now()): boolean {
  return run.expires_at !== null && run.expires_at * 1000 <= nowMs;
}

/**
 * The move that expires an active run (queued, in_progress, requires_action, cancelling): its open steps end
 * `expired`, a message being written ends `incomplete` (run_expired), and the run moves to `expired`, which
 * frees the thread. Undefined for a run that already ended.
 */
export function expireMove(project: string): (run: Run) => RunMove | undefined {
  return (r) => (ACTIVE_RUN_STATUSES.includes(r.status) ? { to: 'expired', before: (tx, next) => closeOpenParts(tx, project, next) } : undefined);
}

/** Expires a run (one nobody is executing, or one whose worker stopped at `expires_at`). */
export function expireRun(store: Store, events: RunEventLog, project: string, runId: string): Promise<Run | undefined> {
  return updateRun(store, events, project, runId, expireMove(project));
}

/**
 * A signal for executing `run`: it aborts with the worker's reason, or with RUN_EXPIRED when `expires_at` passes,
 * so a model call that streams forever or a tool that never returns cannot keep the run past it.
 */
export function untilExpiry(run: Run | undefined, signal: AbortSignal): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const forward = () => controller.abort(signal.reason);
  if (signal.aborted) forward();
  else signal.addEventListener('abort', forward, { once: true });
  const expiresAt = run?.expires_at ?? null;
  const timer = expiresAt === null ? undefined : setTimeout(() => controller.abort(RUN_EXPIRED), Math.max(0, expiresAt * 1000 - Date.now()));
  return {
    signal: controller.signal,
    dispose() {
      clearTimeout(timer);
      signal.removeEventListener('abort', forward);
    },
  };
}

async function closeOpenParts(tx: Store, project: string, run: Run): Promise<RunEvent[]> {
  const steps = await tx.runSteps.list(project, { limit: 100, order: 'desc' }, { run_id: run.id });
  const out: RunEvent[] = [];
  for (const step of steps.data.filter((s) => s.status === 'in_progress')) {
    if (step.step_details.type === 'message_creation') {
      const message = await tx.messages.get(project, step.step_details.message_creation.message_id);
      if (message?.status === 'in_progress') {
        const ended = { ...message, status: 'incomplete' as const, incomplete_at: nowSeconds(), incomplete_details: { reason: 'run_expired' as const } };
        await tx.messages.replace(project, ended);
        out.push({ event: 'thread.message.incomplete', data: ended });
      }
    }
    const ended = endStep(step, 'expired');
    await tx.runSteps.replace(project, ended);
    out.push({ event: 'thread.run.step.expired', data: ended });
  }
  return out;
}
