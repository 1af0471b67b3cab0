import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { AppDeps } from '../app-deps.js';
import { BadRequestError, UnsupportedMediaTypeError } from '../domain/errors.js';
import { apiShape, type ApiShape } from './api-version.js';
import { guardInput, guardPathParams, guardQueryIds } from './input-guard.js';
import { strictSchema } from './strict-schema.js';
import { parseInput, unknownParameter } from './validation.js';

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

/** Keeps the handler's input types tied to its schemas; a body schema refuses unknown parameters (see strict-schema). */
export function route<B extends z.ZodType = z.ZodUndefined, Q extends z.ZodType = z.ZodUndefined>(spec: RouteSpec<B, Q>): RouteSpec {
  const strict = spec.body ? { ...spec, body: strictSchema(spec.body) } : spec;
  return strict as unknown as RouteSpec;
}

const emptyQuery = z.object({});

/**
 * The request body as a route's schema sees it. A JSON route reads an object (absent means no parameters): not
 * `null`, an array or a scalar, nor a multipart form it would silently drop. A route without a body takes none.
 */
function bodyOf(spec: RouteSpec, request: FastifyRequest): unknown {
  if (spec.multipart) return undefined;
  if (request.isMultipart()) throw new UnsupportedMediaTypeError('This endpoint only accepts application/json request bodies, not multipart/form-data.');
  const body = request.body;
  if (body === undefined) return spec.body ? {} : undefined;
  guardInput(body);
  if (spec.body && defOf(spec.body) === 'unknown') return body;
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    const got = body === null ? 'null' : Array.isArray(body) ? 'an array' : typeof body;
    throw new BadRequestError(`Invalid request body: expected a JSON object, got ${got}.`, null, 'invalid_type');
  }
  if (!spec.body) {
    const [first] = Object.keys(body);
    if (first !== undefined) throw unknownParameter(first);
    return undefined;
  }
  return body;
}

function defOf(schema: z.ZodType): string {
  return (schema._zod.def as { type: string }).type;
}

/** Registers routes on a prefixed Fastify scope. A handler's return value is sent as JSON unless it replied itself. */
export function registerRoutes(app: FastifyInstance, routes: RouteSpec[], deps: AppDeps): void {
  for (const spec of routes) {
    app.route({
      method: spec.method,
      url: spec.path,
      config: { operation: spec.summary },
      handler: async (request, reply) => {
        const { ['api-version']: _ignored, ...query } = (request.query ?? {}) as Record<string, unknown>;
        guardPathParams(request.params as Record<string, string>);
        guardInput(query);
        guardQueryIds(query);
        const body = bodyOf(spec, request);
        const input: RouteInput<unknown, unknown> = {
          body: spec.body ? parseInput(spec.body, body) : undefined,
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
