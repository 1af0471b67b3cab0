import type { Logger } from 'pino';
import { fixedShapeLogger } from '../../lib/logger.js';
import type { Run } from '../../domain/types.js';
import type { RunStatusObserver } from '../events/run-events.js';

/** When a run reached its final status (unix seconds); expired and incomplete runs carry no stamp: now. */
function endedAt(run: Run): number {
  return run.completed_at ?? run.failed_at ?? run.cancelled_at ?? Math.floor(Date.now() / 1000);
}

const ENDINGS = new Set(['completed', 'failed', 'cancelled', 'expired', 'incomplete']);

/**
 * One `info` line when a run is created and one when it ends (completed, failed with the error the model
 * provider gave, cancelled, expired, incomplete): run id, project, model, duration and tokens. The steps in
 * between (in_progress, requires_action) are `debug`.
 */
export function createRunLifecycleLog(parent: Logger): RunStatusObserver {
  const logger = fixedShapeLogger(parent);
  return (project, run, created) => {
    const base = { runId: run.id, project, model: run.model, status: run.status };
    if (created) {
      logger.info({ ...base, threadId: run.thread_id, assistantId: run.assistant_id }, 'run created');
      return;
    }
    if (!ENDINGS.has(run.status)) {
      if (logger.isLevelEnabled('debug')) logger.debug(base, `run ${run.status}`);
      return;
    }
    const fields = {
      ...base,
      seconds: endedAt(run) - run.created_at,
      ...(run.usage ? { promptTokens: run.usage.prompt_tokens, completionTokens: run.usage.completion_tokens } : {}),
      ...(run.last_error ? { error: run.last_error } : {}),
      ...(run.incomplete_details ? { incomplete: run.incomplete_details.reason } : {}),
    };
    if (run.status === 'failed') logger.warn(fields, `run failed: ${run.last_error?.message ?? 'no detail'}`);
    else logger.info(fields, `run ${run.status}`);
  };
}
