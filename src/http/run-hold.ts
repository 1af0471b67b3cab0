import type { AppDeps } from '../app-deps.js';
import type { Run } from '../domain/types.js';
import type { PollHold } from './poll-hold.js';

/** Statuses the SDK's poll helper keeps polling on; any other one it returns. */
const POLLED: ReadonlySet<string> = new Set(['queued', 'in_progress', 'cancelling']);

/** Events that come with a change of the run's status (steps and deltas do not). */
function isStatusEvent(event: string): boolean {
  return (event.startsWith('thread.run.') && !event.startsWith('thread.run.step.')) || event === 'error';
}

/**
 * A poll hold on a run: woken by the run's event log (locally at once, from other replicas by NOTIFY), and only
 * by the events that change its status, so a run streaming deltas is not re-read on every delta.
 */
export async function runHold(deps: AppDeps, project: string, runId: string, read: () => Promise<Run>): Promise<PollHold<Run>> {
  // Taken before the first read: a status change after it is either in that read or in the log after `seq`.
  let seq = await deps.store.runEvents.lastSeq(project, runId);
  return {
    holdMs: deps.config.pollHoldMs,
    read,
    // Held through queued -> in_progress too: the helper would only ask again.
    working: (run) => (POLLED.has(run.status) ? 'working' : undefined),
    async wait(timeoutMs, signal) {
      const deadline = Date.now() + timeoutMs;
      let woke = deps.events.wait(runId, timeoutMs, signal);
      for (;;) {
        if (!(await woke)) return false;
        // Listening again before reading, so an event appended during the read still wakes the next round.
        woke = deps.events.wait(runId, Math.max(0, deadline - Date.now()), signal);
        const fresh = await deps.events.read(project, runId, seq);
        if (fresh.length > 0) seq = fresh[fresh.length - 1]!.seq;
        if (fresh.some((e) => isStatusEvent(e.event))) return true;
      }
    },
  };
}
