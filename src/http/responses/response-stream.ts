import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RunEventLog } from '../../engine/events/run-events.js';
import type { ResponseEventBody } from '../../engine/responses/response-output.js';
import type { RunEventRecord } from '../../store/run-events-repo.js';
import type { Store } from '../../store/store.js';
import { followLog } from '../follow-log.js';
import { MAX_UNSENT_BYTES, openEventStream } from '../open-streams.js';

export type EmitResponseEvent = (event: ResponseEventBody) => void;

/**
 * Streams a response's events as `text/event-stream`, numbered from 0 as the hosted API numbers them, with no
 * `[DONE]` at the end. A client that goes away only stops the writing: the response still finishes and is
 * stored, so it can be retrieved.
 */
export async function streamResponse(request: FastifyRequest, reply: FastifyReply, run: (emit: EmitResponseEvent) => Promise<unknown>): Promise<void> {
  openEventStream('responses', request, reply);
  let sequence = 0;
  // Serialized at once: the engine keeps changing the objects it emits.
  const emit: EmitResponseEvent = (event) => {
    const data = JSON.stringify({ ...event, sequence_number: sequence++ });
    if (!reply.raw.destroyed) reply.raw.write(`event: ${event.type}\ndata: ${data}\n\n`);
  };
  try {
    await run(emit);
  } catch (err) {
    request.log.error({ err }, 'response stream failed');
    emit({ type: 'error', code: 'server_error', message: 'The response failed on the server.', param: null });
  } finally {
    if (!reply.raw.writableEnded) reply.raw.end();
  }
}

/** Events that end a response's stream. */
const END_EVENTS = new Set(['response.completed', 'response.incomplete', 'response.failed', 'error']);

export interface StoredStreamOptions {
  store: Store;
  events: RunEventLog;
  project: string;
  responseId: string;
  /** Stream the events after this sequence number (-1: from the start). */
  startingAfter: number;
}

/**
 * Streams a background response's event log, stored or still growing, as `text/event-stream` until it ends.
 * Any replica serves it, whichever one runs the response. Sequence numbers are the log's own, from 0, so a client
 * that lost its connection resumes with `starting_after`. A cancelled response's stream just ends.
 */
export async function streamStoredResponse(request: FastifyRequest, reply: FastifyReply, options: StoredStreamOptions): Promise<void> {
  const { store, events, project, responseId } = options;
  const gone = new AbortController();
  request.raw.on('close', () => gone.abort());
  openEventStream('responses', request, reply);
  // The log numbers its events from 1; the stream from 0.
  let after = options.startingAfter + 1;
  /** Writes records up to the one that ends the stream (then true), or until the socket's allowance is full. */
  const send = (records: RunEventRecord[]): boolean => {
    for (const record of records) {
      after = record.seq;
      reply.raw.write(`event: ${record.event}\ndata: {"sequence_number":${record.seq - 1},${record.data.slice(1)}\n\n`);
      if (END_EVENTS.has(record.event)) return true;
      if (reply.raw.writableLength >= MAX_UNSENT_BYTES) return false;
    }
    return false;
  };
  try {
    const settled = async () => {
      const response = await store.responses.get(project, responseId);
      return !response || (response.status !== 'queued' && response.status !== 'in_progress');
    };
    await followLog({ events, project, id: responseId, res: reply.raw, signal: gone.signal, after: () => after, send, settled });
  } catch (err) {
    request.log.error({ err }, 'response stream failed');
    reply.raw.write(`event: error\ndata: ${JSON.stringify({ type: 'error', code: 'server_error', message: 'The stream failed on the server; retrieve the response for its status.', param: null, sequence_number: after })}\n\n`);
  } finally {
    if (!reply.raw.writableEnded) reply.raw.end();
  }
}
