import { z } from 'zod';
import type { RouteSpec } from './route.js';

function jsonSchema(schema: z.ZodType): Record<string, unknown> {
  return z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
}

/** The OpenAPI document, generated from the same schemas that validate requests, so it cannot drift. */
export function openApiDocument(routes: RouteSpec[], version: string) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const spec of routes) {
    const path = '/v1' + spec.path.replace(/:([a-z_]+)/g, '{$1}');
    const pathParams = [...spec.path.matchAll(/:([a-z_]+)/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
    const querySchema = spec.query ? jsonSchema(spec.query) : undefined;
    const queryProps = (querySchema?.properties ?? {}) as Record<string, unknown>;
    const queryParams = Object.entries(queryProps).map(([name, schema]) => ({ name, in: 'query', schema }));
    const operation: Record<string, unknown> = {
      summary: spec.summary,
      parameters: [...pathParams, ...queryParams],
      responses: { '200': { description: 'OK' }, default: { description: 'Error: {error: {message, type, param, code}}' } },
    };
    if (spec.body) operation.requestBody = { required: true, content: { 'application/json': { schema: jsonSchema(spec.body) } } };
    if (spec.multipart) {
      operation.requestBody = {
        required: true,
        content: {
          'multipart/form-data': {
            schema: { type: 'object', required: ['file', 'purpose'], properties: { file: { type: 'string', format: 'binary' }, purpose: { type: 'string' } } },
          },
        },
      };
    }
    (paths[path] ??= {})[spec.method.toLowerCase()] = operation;
  }
  return {
    openapi: '3.1.0',
    info: { title: 'assistd', version, description: 'The OpenAI / Azure OpenAI Assistants API, self-hosted.' },
    servers: [{ url: '/' }],
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' }, apiKey: { type: 'apiKey', in: 'header', name: 'api-key' } } },
    security: [{ bearer: [] }, { apiKey: [] }],
    paths,
  };
}
