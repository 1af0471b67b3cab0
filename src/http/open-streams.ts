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
