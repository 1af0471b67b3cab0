import type { Store } from '../store/store.js';
import type { RunEventLog } from './run-events.js';
import { endStep, updateRun } from './run-updates.js';

/**
 * Expires a run nobody is executing (a requires_action run whose outputs never came, or a queued one left too
 * long): its open steps end `expired` and the run moves to `expired`, which frees the thread.
 */
export async function expireRun(store: Store, events: RunEventLog, project: string, runId: string): Promise<void> {
  await updateRun(store, events, project, runId, (r) => {
    if (r.status !== 'requires_action' && r.status !== 'queued') return undefined;
    return {
      to: 'expired',
      async before(tx, next) {
        const steps = await tx.runSteps.list(project, { limit: 100, order: 'desc' }, { run_id: next.id });
        const out = [];
        for (const step of steps.data.filter((s) => s.status === 'in_progress')) {
          const ended = endStep(step, 'expired');
          await tx.runSteps.replace(project, ended);
          out.push({ event: 'thread.run.step.expired', data: ended });
        }
        return out;
      },
    };
  });
}
