import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ResponseEventBody } from '../../engine/responses/response-output.js';
import { openEventStream } from '../open-streams.js';

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
