import { randomBytes } from 'node:crypto';
import multipart from '@fastify/multipart';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { AppDeps } from './app-deps.js';
import type { Tracing } from './ops/tracing/tracing.js';
import { assistantRoutes } from './http/assistants.js';
import { chatCompletionRoutes } from './http/chat-completions.js';
import { createAuthenticator } from './http/auth.js';
import { enforceRateLimits } from './http/rate-limits.js';
import { capOpenStreams } from './http/open-streams.js';
import { clientErrorHandler, frameworkErrors, installErrorHandlers } from './http/errors.js';
import { embeddingRoutes } from './http/embeddings.js';
import { fileRoutes } from './http/files.js';
import { messageRoutes } from './http/messages.js';
import { parseJsonBody } from './http/json-body.js';
import { modelRoutes } from './http/models.js';
import { installMetrics } from './http/metrics.js';
import { installRequestLog } from './http/request-log.js';
import { openApiDocument } from './http/openapi.js';
import { registerRoutes, type RouteSpec } from './http/route.js';
import { responsesApiRoutes } from './http/responses/routes.js';
import { containerFileRoutes } from './http/containers/container-files.js';
import { containerRoutes } from './http/containers/containers.js';
import { runRoutes } from './http/runs.js';
import { scriptRoutes } from './http/scripts.js';
import { threadRoutes } from './http/threads.js';
import { threadListRoutes } from './http/thread-list.js';
import { v1FileRoutes } from './http/v1-files.js';
import { vectorStoreFileBatchRoutes } from './http/vector-store-file-batches.js';
import { vectorStoreFileRoutes } from './http/vector-store-files.js';
import { vectorStoreRoutes } from './http/vector-stores.js';
import { vectorStoreSearchRoutes } from './http/vector-store-search.js';
import { installWebAssets } from './http/web-assets.js';
import { countForegroundRequests } from './http/foreground-requests.js';

/** Every route prefix clients use: OpenAI style, Azure style, and Azure's OpenAI-compatible v1. */
export const API_PREFIXES = ['/v1', '/openai', '/openai/v1'];

export const API_ROUTES: RouteSpec[] = [...assistantRoutes, ...threadRoutes, ...threadListRoutes, ...messageRoutes, ...runRoutes, ...fileRoutes, ...v1FileRoutes, ...scriptRoutes, ...vectorStoreRoutes, ...vectorStoreFileRoutes, ...vectorStoreFileBatchRoutes, ...vectorStoreSearchRoutes, ...embeddingRoutes, ...modelRoutes, ...chatCompletionRoutes, ...responsesApiRoutes, ...containerRoutes, ...containerFileRoutes];

/** A readiness check beyond the database: a name and whether it is usable. */
export type ReadinessCheck = () => Promise<{ name: string; ok: boolean; detail?: string }>;

export interface BuildAppOptions {
  logger?: Logger;
  readinessChecks?: ReadinessCheck[];
  version?: string;
  /** Where /metrics reads from; the engine's series are registered there too. */
  metricsRegistry?: Registry;
  /** Request spans, when tracing is on. */
  tracing?: Pick<Tracing, 'installHttp'>;
}

// Request ids: unique per process start (random prefix) and cheap per request (a counter).
const requestIdPrefix = randomBytes(6).toString('hex');
let requestCounter = 0;

/** Builds the Fastify app from its dependencies. Listening is the caller's business. */
export async function buildApp(deps: AppDeps, options: BuildAppOptions = {}): Promise<FastifyInstance> {
  const app: FastifyInstance = Fastify({
    ...(options.logger ? { loggerInstance: options.logger as FastifyBaseLogger } : { logger: false }),
    bodyLimit: deps.config.maxBodyBytes,
    genReqId: () => `req_${requestIdPrefix}${(++requestCounter).toString(36)}`,
    // Errors raised before any route runs get the OpenAI shape too.
    frameworkErrors,
    clientErrorHandler,
    // Fastify's two lines per request carry the raw URL; installRequestLog writes one line by route instead.
    logController: new LogController({ disableRequestLogging: true }),
  });
  options.tracing?.installHttp(app);
  countForegroundRequests(app);
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_req, body, done) => {
    try {
      done(null, parseJsonBody(body as Buffer));
    } catch (err) {
      if (err instanceof SyntaxError) (err as { statusCode?: number }).statusCode = 400;
      done(err as Error, undefined);
    }
  });
  await app.register(multipart, { limits: { fileSize: deps.config.maxFileBytes + 1, files: 1, fields: 20 } });
  // Callback style: an async hook costs a promise per request on every route.
  app.addHook('onSend', (request, reply, payload, done) => {
    reply.header('x-request-id', request.id);
    done(null, payload);
  });
  installErrorHandlers(app);
  const metrics = installMetrics(app, options.metricsRegistry);
  installRequestLog(app);
  const auth = createAuthenticator(deps.store, deps.config.apiKey);
  app.decorateRequest('project', '');
  app.decorateRequest('keyId', '');
  capOpenStreams(app, deps.config.maxOpenStreams);

  for (const prefix of API_PREFIXES) {
    await app.register(
      async (scope) => {
        const limiter = deps.rateLimiter;
        scope.addHook('onRequest', async (request, reply) => {
          const { project, keyId } = await auth.authenticate(request);
          request.project = project;
          request.keyId = keyId;
          if (limiter) await enforceRateLimits(limiter, request, reply);
        });
        registerRoutes(scope, API_ROUTES, deps);
      },
      { prefix },
    );
  }

  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const checks = [];
    try {
      await deps.store.ping();
      const pending = await deps.store.pendingMigrations();
      checks.push({ name: 'database', ok: pending.length === 0, detail: pending.length ? `pending migrations: ${pending.join(', ')}` : undefined });
    } catch (err) {
      checks.push({ name: 'database', ok: false, detail: (err as Error).message });
    }
    for (const check of options.readinessChecks ?? []) checks.push(await check());
    const ready = checks.every((c) => c.ok || c.name !== 'database');
    return reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not_ready', checks });
  });
  app.get('/metrics', async (_request, reply) => {
    reply.header('content-type', metrics.contentType);
    return metrics.metrics();
  });
  const openapi = openApiDocument(API_ROUTES, options.version ?? '0.0.0');
  app.get('/openapi.json', async () => openapi);
  installWebAssets(app);
  return app;
}
