import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { AppDeps } from '../app-deps.js';
import { apiShape, type ApiShape } from './api-version.js';
import { parseInput } from './validation.js';

/** What a handler receives: validated input plus who is asking and which API shape they speak. */
export interface RouteInput<B, Q> {
  body: B;
  query: Q;
  params: Record<string, string>;
  project: string;
  shape: ApiShape;
  request: FastifyRequest;
  reply: FastifyReply;
}

/** One API operation: its validation schemas feed both request parsing and /openapi.json. */
export interface RouteSpec<B extends z.ZodType = z.ZodType, Q extends z.ZodType = z.ZodType> {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  summary: string;
  body?: B;
  query?: Q;
  /** Multipart routes parse their own body. */
  multipart?: boolean;
  handler(input: RouteInput<z.infer<B>, z.infer<Q>>, deps: AppDeps): Promise<unknown>;
}

/** Keeps the handler's input types tied to its schemas. */
export function route<B extends z.ZodType = z.ZodUndefined, Q extends z.ZodType = z.ZodUndefined>(spec: RouteSpec<B, Q>): RouteSpec {
  return spec as unknown as RouteSpec;
}

const emptyQuery = z.object({});

/** Registers routes on a prefixed Fastify scope. A handler's return value is sent as JSON unless it replied itself. */
export function registerRoutes(app: FastifyInstance, routes: RouteSpec[], deps: AppDeps): void {
  for (const spec of routes) {
    app.route({
      method: spec.method,
      url: spec.path,
      config: { operation: spec.summary },
      handler: async (request, reply) => {
        const { ['api-version']: _ignored, ...query } = (request.query ?? {}) as Record<string, unknown>;
        const input: RouteInput<unknown, unknown> = {
          body: spec.body ? parseInput(spec.body, request.body ?? {}) : undefined,
          query: parseInput(spec.query ?? emptyQuery, query),
          params: request.params as Record<string, string>,
          project: request.project,
          shape: apiShape(request),
          request,
          reply,
        };
        const result = await spec.handler(input, deps);
        if (reply.sent) return reply;
        return reply.send(result);
      },
    });
  }
}
