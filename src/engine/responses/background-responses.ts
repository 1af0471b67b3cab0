import { BadRequestError, NotFoundError } from '../../domain/errors.js';
import type { ResponseObject } from '../../domain/responses.js';
import { executeResponse, type PreparedResponse, type ResponseEngineDeps } from './create-response.js';

// Background responses this process is running, so a cancel that lands here stops the model call at once. A
// cancel on another replica only marks the response: its writer then finds it ended and leaves it so.
const running = new Map<string, AbortController>();

const noop = () => {};

/**
 * Stores a background response as queued and runs it in this process after the create returns; the client
 * polls it with retrieve. Returns the queued response as the create answers it.
 */
export async function startBackgroundResponse(deps: ResponseEngineDeps, project: string, prepared: PreparedResponse): Promise<ResponseObject> {
  const { response } = prepared;
  await deps.store.responses.insert(project, response, prepared.input);
  const queued = structuredClone(response);
  const controller = new AbortController();
  running.set(response.id, controller);
  executeResponse(deps, project, prepared, noop, controller.signal)
    .catch((err) => deps.logger?.warn({ responseId: response.id, project, err }, 'background response failed'))
    .finally(() => running.delete(response.id));
  return queued;
}

/** Cancels a background response that has not ended; one that has is returned as it is. */
export async function cancelResponse(deps: ResponseEngineDeps, project: string, id: string): Promise<ResponseObject> {
  const response = await deps.store.responses.get(project, id);
  if (!response) throw new NotFoundError(`Response with id '${id}' not found.`, 'response_id');
  if (!response.background) throw new BadRequestError('Only responses created with background=true can be cancelled.', 'response_id');
  const cancelled: ResponseObject = { ...response, status: 'cancelled' };
  if (await deps.store.responses.replace(project, cancelled)) {
    running.get(id)?.abort();
    return cancelled;
  }
  return (await deps.store.responses.get(project, id)) ?? response;
}
