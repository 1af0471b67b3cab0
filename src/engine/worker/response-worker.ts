import type { Logger } from 'pino';
import { RESPONSE_LEASE_LOST as LEASE_LOST, runBackgroundResponse, type BackgroundDeps } from '../responses/background-responses.js';
import type { Flight, WorkKind, WorkPool } from './work-pool.js';

export interface ResponseWorkerOptions {
  logger?: Logger;
}

/**
 * The background responses' side of the process's one worker (work-pool.ts): claims them from the responses
 * table and runs them, on the same terms as runs. `kick` after queuing one, `cancel` after a cancel.
 */
export interface ResponseWorker {
  kick(id: string): void;
  /** Stops the response's model call wherever it runs. */
  cancel(id: string): void;
}

export function createResponseWorker(deps: BackgroundDeps, pool: WorkPool, options: ResponseWorkerOptions = {}): ResponseWorker {
  const { store, events } = deps;
  const logger = options.logger;

  function execute(project: string, id: string, resumed: boolean): void {
    let failed = false;
    const body = async (flight: Flight) => {
      try {
        await events.open(project, id);
        await runBackgroundResponse(deps, project, id, resumed, flight.controller.signal);
      } catch (err) {
        // The lease is left to lapse: the next claim sees the response as resumed and fails it cleanly.
        failed = true;
        logger?.error({ err, responseId: id }, 'background response failed');
      }
    };
    pool.add(kind, id, body, async (flight) => {
      await events.release(id).catch(() => {});
      if (!failed && flight.controller.signal.reason !== LEASE_LOST) await store.responses.release(pool.owner, id).catch(() => {});
    });
  }

  const kind: WorkKind = {
    label: 'background response',
    wakeChannel: 'assistd_responses',
    cancelChannel: 'assistd_response_cancel',
    claim: (holder, now, leaseMs, limit) => store.responses.claim(holder, now, leaseMs, limit),
    oldest: (_holder, now) => store.responses.oldestClaimable(now),
    renew: (holder, ids, now, leaseMs) => store.responses.renew(holder, ids, now, leaseMs),
    start: (c) => execute(c.project, c.id, c.resumed),
    leaseLost: LEASE_LOST,
  };
  pool.register(kind);

  return {
    kick: (id) => pool.kick(kind, id),
    cancel: (id) => pool.cancel(kind, id),
  };
}
