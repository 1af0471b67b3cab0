import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { fixedShapeLogger } from '../lib/logger.js';

/**
 * One `info` line per request: method, route template, status, duration, project (the request id comes with
 * request.log). Never headers or bodies, so keys and content stay out of the logs. Nothing is installed when
 * info is off, so a quiet server pays nothing per request.
 */
export function installRequestLog(app: FastifyInstance): void {
  // Without a logger, app.log is Fastify's no-op logger, which has no isLevelEnabled.
  if (!(app.log as unknown as Partial<Logger>).isLevelEnabled?.('info')) return;
  const lines = fixedShapeLogger(app.log as unknown as Logger);
  app.addHook('onResponse', (request, reply, done) => {
    // The request id first, where request.log's binding would put it.
    lines.info(
      { reqId: request.id, method: request.method, route: request.routeOptions.url ?? request.url.split('?')[0], status: reply.statusCode, ms: Math.round(reply.elapsedTime * 10) / 10, ...(request.project ? { project: request.project } : {}) },
      'request',
    );
    done();
  });
}
