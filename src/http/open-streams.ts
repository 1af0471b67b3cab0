import type { ServerResponse } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';

/** Server-sent event streams open in this process, by API: read by /metrics at scrape time. */
const open = { runs: 0, chat: 0, responses: 0 };

export type StreamKind = keyof typeof open;

/** Counts `res` as open until it closes (ended by us, or the client went away). */
export function countOpenStream(kind: StreamKind, res: ServerResponse): void {
  open[kind]++;
  res.once('close', () => open[kind]--);
}

export function openStreams(): Readonly<Record<StreamKind, number>> {
  return open;
}

/** Takes the reply over from Fastify and starts a server-sent event stream on it, counted as open. */
export function openEventStream(kind: StreamKind, request: FastifyRequest, reply: FastifyReply): ServerResponse {
  reply.hijack();
  countOpenStream(kind, reply.raw);
  reply.raw.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    'x-request-id': String(request.id),
  });
  return reply.raw;
}

/**
 * What a stream may leave unsent in its socket before it stops reading news: a client that reads slowly (or
 * not at all) holds at most this much of a run's log in the server's memory, not the whole log.
 */
export const MAX_UNSENT_BYTES = 1024 * 1024;

/** Resolves once `res` has room again (below MAX_UNSENT_BYTES), or is closed, or `signal` aborts. */
export function roomToWrite(res: ServerResponse, signal: AbortSignal): Promise<void> {
  if (res.writableLength < MAX_UNSENT_BYTES || res.destroyed || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done).off('close', done);
      signal.removeEventListener('abort', done);
      resolve();
    };
    res.on('drain', done).on('close', done);
    signal.addEventListener('abort', done, { once: true });
  });
}
