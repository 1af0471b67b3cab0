import { BadRequestError, NotFoundError } from '../../domain/errors.js';
import type { ResponseItem, ResponseObject } from '../../domain/responses.js';
import type { ChatRequest } from '../../providers/chat-model.js';
import type { RunEventLog } from '../events/run-events.js';
import { endResponse, executeResponse, type PreparedResponse, type ResponseEngineDeps } from './create-response.js';
import type { ResponseEventBody } from './response-output.js';

/** What a background response's worker needs besides the stored object and input: the model call its create prepared. */
interface ResponseJob {
  request: ChatRequest;
  include: string[];
  promptTokens: number;
  /** The code_interpreter calls of the context, so the worker reuses the container they ran in. */
  history: ResponseItem[];
  /** The API key whose per-key token limit the worker's model calls count against (kept only where one is set). */
  keyId?: string;
}

export type BackgroundDeps = ResponseEngineDeps & { events: RunEventLog };

/** The abort reason when another worker took the response over (this one's lease lapsed): write nothing more. */
export const RESPONSE_LEASE_LOST = Symbol('response lease lost');

/**
 * Stores a background response as queued, with the model call its create prepared, and starts its event log
 * (`response.created`, `response.queued`) in the same transaction. A worker runs it (see response-worker.ts);
 * the client polls it with retrieve or streams its log. Returns the queued response as the create answers it.
 */
export async function queueBackgroundResponse(deps: BackgroundDeps, project: string, prepared: PreparedResponse): Promise<ResponseObject> {
  const { response } = prepared;
  const history = prepared.history.filter((item) => item.type === 'code_interpreter_call');
  const job: ResponseJob = { request: prepared.request, include: prepared.include, promptTokens: prepared.promptTokens, history, ...(prepared.keyId === undefined ? {} : { keyId: prepared.keyId }) };
  const events: ResponseEventBody[] = [
    { type: 'response.created', response },
    { type: 'response.queued', response },
  ];
  await deps.store.transaction(async (tx) => {
    await tx.responses.insert(project, response, prepared.input, job);
    await deps.events.commit(tx, project, response.id, events.map((e) => ({ event: e.type, data: e })));
  });
  deps.events.committed(response.id);
  return structuredClone(response);
}

/**
 * Runs a background response a worker holds (lease and event log). One `resumed` from a worker that died while it
 * was in progress fails with server_error, as a run does: its stream already carried part of an answer.
 */
export async function runBackgroundResponse(deps: BackgroundDeps, project: string, id: string, resumed: boolean, signal: AbortSignal): Promise<void> {
  const work = await deps.store.responses.work(project, id);
  if (!work || (work.response.status !== 'queued' && work.response.status !== 'in_progress')) return;
  const { response, input } = work;
  const job = work.job as ResponseJob;
  const journal = { events: deps.events, lost: () => signal.reason === RESPONSE_LEASE_LOST };
  // The log has one writer: once another worker holds the response, this one adds nothing to it.
  const emit = (event: ResponseEventBody) => void (journal.lost() || deps.events.emit(id, { event: event.type, data: event }));
  if (resumed && response.status === 'in_progress') {
    response.status = 'failed';
    response.error = { code: 'server_error', message: 'The server running this response stopped before it finished. Create the response again.' };
    const model = deps.models.resolve(response.model, project);
    await endResponse(deps, project, { response, input, model, ...job }, emit, journal);
    return;
  }
  const model = deps.models.resolve(response.model, project, job.keyId === undefined ? undefined : { keyId: job.keyId });
  const prepared: PreparedResponse = { response, input, model, ...job };
  await executeResponse(deps, project, prepared, emit, signal, journal);
}

/** Cancels a background response that has not ended; one that has is returned as it is. `stop` aborts its worker's model call. */
export async function cancelResponse(deps: ResponseEngineDeps, project: string, id: string, stop: (id: string) => void): Promise<ResponseObject> {
  const response = await deps.store.responses.get(project, id);
  if (!response) throw new NotFoundError(`Response with id '${id}' not found.`, 'response_id');
  if (!response.background) throw new BadRequestError('Only responses created with background=true can be cancelled.', 'response_id');
  const cancelled: ResponseObject = { ...response, status: 'cancelled' };
  if (await deps.store.responses.replace(project, cancelled)) {
    stop(id);
    return cancelled;
  }
  return (await deps.store.responses.get(project, id)) ?? response;
}
