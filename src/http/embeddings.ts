import type { FastifyBaseLogger } from 'fastify';
import { z } from 'zod';
import type { AppDeps } from '../app-deps.js';
import { ApiError, BadRequestError } from '../domain/errors.js';
import { ProviderError } from '../providers/chat-model.js';
import { route } from './route.js';

// `POST /embeddings`, passed to the provider the model name routes to (the same routes, keys, retries and error
// mapping as runs use). Upstreams are always asked for floats, which every OpenAI-compatible server speaks;
// base64 (what the openai SDKs ask for by default) is encoded here.

const tokens = z.array(z.number().int().min(0)).min(1);

const embeddingsBody = z.strictObject({
  input: z.union([z.string().min(1), z.array(z.string().min(1)).min(1).max(2048), tokens, z.array(tokens).min(1).max(2048)]),
  model: z.string().min(1),
  encoding_format: z.enum(['float', 'base64']).optional(),
  dimensions: z.number().int().min(1).optional(),
  user: z.string().optional(),
});

type EmbeddingsBody = z.infer<typeof embeddingsBody>;

async function createEmbeddings(body: EmbeddingsBody, name: string, deps: AppDeps, log: FastifyBaseLogger) {
  const client = deps.models.embeddings(name);
  const { input, dimensions, user } = body;
  const result = await client.create({ input, ...(dimensions !== undefined ? { dimensions } : {}), ...(user !== undefined ? { user } : {}) }).catch((err: unknown) => {
    throw clientError(err, name, log);
  });
  const base64 = body.encoding_format === 'base64';
  return {
    object: 'list',
    data: result.vectors.map((v, index) => ({ object: 'embedding', index, embedding: base64 ? Buffer.from(Float32Array.from(v).buffer).toString('base64') : v })),
    model: name,
    usage: result.usage,
  };
}

/**
 * The upstream's failure as the hosted API would have answered it. Upstream URLs and hosts stay in the log
 * (with the request id): another project's key holder could read the reply.
 */
function clientError(err: unknown, model: string, log: FastifyBaseLogger): unknown {
  if (!(err instanceof ProviderError)) return err;
  log.warn({ err, model }, 'embeddings request failed upstream');
  const status = err.status;
  if (status === 400 || status === 422) {
    const detail = (err.cause as { error?: { message?: unknown } } | undefined)?.error?.message;
    return new BadRequestError(typeof detail === 'string' && detail ? detail : `The model '${model}' rejected the request.`);
  }
  if (status === 404) return new ApiError(404, `The model '${model}' does not exist or you do not have access to it.`, 'invalid_request_error', 'model', 'model_not_found');
  if (err.code === 'rate_limit_exceeded') return new ApiError(429, `Rate limit reached for ${model}. Please try again later.`, 'requests', null, 'rate_limit_exceeded');
  if (status === 401 || status === 403) return new ApiError(502, `The provider of '${model}' rejected this server's credentials.`, 'server_error', null, 'upstream_error');
  return new ApiError(502, `The provider of '${model}' could not answer. Please try again later.`, 'server_error', null, 'upstream_error');
}

export const embeddingRoutes = [
  route({
    method: 'POST',
    path: '/embeddings',
    summary: 'Create embeddings',
    body: embeddingsBody,
    handler: ({ body, request }, deps) => createEmbeddings(body, body.model, deps, request.log),
  }),
  // Azure's deployment-scoped form: the deployment is the model name.
  route({
    method: 'POST',
    path: '/deployments/:deployment/embeddings',
    summary: 'Create embeddings (Azure deployment)',
    body: embeddingsBody.extend({ model: z.string().min(1).optional() }),
    handler: ({ body, params, request }, deps) => createEmbeddings({ ...body, model: params.deployment! }, params.deployment!, deps, request.log),
  }),
];
