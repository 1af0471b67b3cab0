import type { ServerResponse } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest, preHandlerHookHandler } from 'fastify';
import { ApiError } from '../domain/errors.js';

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

/** How a route's request asks for a stream: `stream: true` in the body, or `?stream=true`. */
const inBody = (request: FastifyRequest) => (request.body as { stream?: unknown } | null | undefined)?.stream === true;
const inQuery = (request: FastifyRequest) => (request.query as { stream?: unknown } | undefined)?.stream === 'true';

/** The routes that can answer with a stream (path as registered, after any prefix). */
const STREAMING_ROUTES: ReadonlyArray<{ method: string; path: RegExp; asks: (request: FastifyRequest) => boolean }> = [
  { method: 'POST', path: /\/threads(\/:thread_id)?\/runs$/, asks: inBody },
  { method: 'POST', path: /\/threads\/:thread_id\/runs\/:run_id\/submit_tool_outputs$/, asks: inBody },
  { method: 'POST', path: /\/responses$/, asks: inBody },
  { method: 'GET', path: /\/responses\/:response_id$/, asks: inQuery },
  { method: 'POST', path: /\/chat\/completions$/, asks: inBody },
];

/**
 * Refuses a request for a stream while `max` are admitted in this process: 503 `server_overloaded` with
 * `retry-after`, before the handler runs, so nothing (no run, no response) is created. It is the replica's
 * capacity, not the caller's quota, that is spent: a 503 is what the hosted API answered when overloaded, a load
 * balancer may send the retry to another replica, and the SDKs retry it after `retry-after`. Only the routes
 * that can stream get the check: one counter compare, no database. Install it before the routes are registered.
 */
export function capOpenStreams(app: FastifyInstance, max: number): void {
  /** Requests for a stream admitted and not yet closed, whether their stream has started or not. */
  let admitted = 0;
  app.addHook('onRoute', (route) => {
    const streaming = STREAMING_ROUTES.find((r) => r.method === route.method && r.path.test(route.url));
    if (!streaming) return;
    const admit: preHandlerHookHandler = (request, reply, done) => {
      // A client already gone (while authentication read the database) would never free its place: not counted.
      if (!streaming.asks(request) || reply.raw.destroyed) return done();
      if (admitted >= max) {
        reply.header('retry-after', '1');
        return done(new ApiError(503, `This server is serving its maximum of ${max} streams; please try again shortly.`, 'server_error', null, 'server_overloaded'));
      }
      admitted++;
      reply.raw.once('close', () => admitted--);
      done();
    };
    const own = route.preHandler;
    route.preHandler = own === undefined ? admit : [...(Array.isArray(own) ? own : [own]), admit];
  });
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
