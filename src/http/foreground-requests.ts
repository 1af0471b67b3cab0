import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { beginForeground, endForeground } from '../lib/foreground-work.js';

/**
 * Counts every request as foreground work from its arrival until its response closes (sent, or the client
 * went away), streams included, so background ingestion yields to it (lib/background-gate.ts). Installed on the
 * node server ahead of Fastify; per request it costs a counter step and one shared close listener.
 */
export function countForegroundRequests(app: FastifyInstance): void {
  app.server.prependListener('request', countRequest);
}

function countRequest(_request: IncomingMessage, response: ServerResponse): void {
  beginForeground();
  response.on('close', endForeground);
}
