/**
 * `POST /chat/completions`, so an app that uses one client for chat and for assistants needs only the base URL
 * changed. The body goes to the provider its `model` routes to as the client wrote it (it is the upstream's
 * API), with the route's keys and retries, and the answer (SSE or JSON) comes back byte for byte. The scripted
 * model answers here, deterministically. Failures are OpenAI-shaped errors that never show upstream addresses;
 * the log has them.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { ApiError } from '../domain/errors.js';
import { ProviderError, type ChatEvent, type ChatModel } from '../providers/chat-model.js';
import { ChatTurnBuilder } from '../providers/collect-chat.js';
import { upstreamErrorFields } from '../providers/upstream-error.js';
import { chatRequestFrom, chunksFor, completionId, completionObject, roleChunk, usageChunk } from './chat-completion-view.js';
import { countOpenStream, openEventStream } from './open-streams.js';
import { route } from './route.js';

// Loose on purpose: every other parameter is the upstream's to accept or refuse.
const chatBody = z.looseObject({
  model: z.string().min(1),
  messages: z.array(z.record(z.string(), z.unknown())).min(1),
  stream: z.boolean().nullish(),
  stream_options: z.looseObject({ include_usage: z.boolean().nullish() }).nullish(),
}).meta({ description: 'A chat-completions request, passed to the provider the model routes to.' });

type ChatBody = z.infer<typeof chatBody>;

// Azure clients name the deployment in the path; it is the model name here, as in the rest of the API.
const deploymentChatBody = chatBody.extend({ model: z.string().min(1).optional() });

export const chatCompletionRoutes = [
  route({
    method: 'POST',
    path: '/chat/completions',
    summary: 'Create a chat completion',
    body: chatBody,
    handler: ({ body, request, reply }, { models }) => complete(models.resolve(body.model), body, request, reply),
  }),
  route({
    method: 'POST',
    path: '/deployments/:deployment/chat/completions',
    summary: 'Create a chat completion (Azure style: the deployment is the model)',
    body: deploymentChatBody,
    handler: ({ body, params, request, reply }, { models }) => {
      const model = params.deployment!;
      return complete(models.resolve(model), { ...body, model }, request, reply);
    },
  }),
];

async function complete(model: ChatModel, body: ChatBody, request: FastifyRequest, reply: FastifyReply) {
  const gone = abortWhenGone(reply);
  try {
    if (model.forward) {
      const answer = await model.forward({ ...(request.body as Record<string, unknown>), model: body.model }, gone);
      reply.header('content-type', answer.contentType);
      if (answer.contentType.includes('text/event-stream')) {
        reply.header('cache-control', 'no-cache');
        countOpenStream('chat', reply.raw);
      }
      return reply.send(answer.body);
    }
    return await answerHere(model, body, request, reply, gone);
  } catch (err) {
    throw clientError(err, body.model, request) ?? err;
  }
}

/** Aborts when the client goes away before the answer is complete, so the upstream call stops too. */
function abortWhenGone(reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  reply.raw.on('close', () => {
    if (!reply.raw.writableFinished) controller.abort();
  });
  return controller.signal;
}

/** A model without an upstream (scripted): its events rendered as a completion or as chunks. */
async function answerHere(model: ChatModel, body: ChatBody, request: FastifyRequest, reply: FastifyReply, signal: AbortSignal) {
  const events = model.stream(chatRequestFrom(body), signal)[Symbol.asyncIterator]();
  // Failing before any output is a plain HTTP error; after it, an error chunk.
  const first = await events.next();
  const base = { id: completionId(), model: body.model, created: Math.floor(Date.now() / 1000) };
  if (!body.stream) {
    const builder = new ChatTurnBuilder();
    for (let next = first; !next.done; next = await events.next()) builder.add(next.value);
    return completionObject(base.id, body.model, base.created, builder.turn());
  }
  const includeUsage = body.stream_options?.include_usage === true;
  openEventStream('chat', request, reply);
  const write = (data: object) => reply.raw.write(`data: ${JSON.stringify(data)}\n\n`);
  write(roleChunk(base, includeUsage));
  let usage: Extract<ChatEvent, { type: 'usage' }> | undefined;
  try {
    for (let next = first; !next.done; next = await events.next()) {
      if (next.value.type === 'usage') usage = next.value;
      for (const chunk of chunksFor(next.value, base, includeUsage)) write(chunk);
    }
    if (includeUsage && usage) write(usageChunk(base, usage));
  } catch (err) {
    if (signal.aborted) return reply;
    const shown = clientError(err, body.model, request) ?? unexpected(err, request);
    write({ error: { message: shown.message, type: shown.type, param: shown.param, code: shown.code } });
  }
  reply.raw.end('data: [DONE]\n\n');
  return reply;
}

function unexpected(err: unknown, request: FastifyRequest): ApiError {
  request.log.error({ err }, 'chat completion stream failed');
  return new ApiError(500, 'The server had an error while processing your request. Sorry about that!', 'server_error', null, 'server_error');
}

/**
 * A model failure as the client sees it (undefined for anything else): the upstream's status where it is the
 * client's to fix, and never an address.
 */
function clientError(err: unknown, model: string, request: FastifyRequest): ApiError | undefined {
  if (!(err instanceof ProviderError)) return undefined;
  request.log.warn({ model, upstream: err.upstream, err }, 'chat completion failed');
  const status = err.status;
  const { param, code } = upstreamErrorFields(err);
  if (status === 404) {
    return new ApiError(404, `The model '${model}' does not exist or you do not have access to it.`, 'invalid_request_error', 'model', 'model_not_found');
  }
  if (status === 429 || err.code === 'rate_limit_exceeded') return new ApiError(429, err.message, 'requests', null, 'rate_limit_exceeded');
  if (status !== undefined && status >= 400 && status < 500 && status !== 401 && status !== 403) {
    return new ApiError(status, err.message, 'invalid_request_error', param, code);
  }
  if (err.code === 'invalid_prompt') return new ApiError(400, err.message, 'invalid_request_error', param, code);
  // Upstream faults (including its refusal of our key) are the server's; a model answered here keeps its status.
  const shownStatus = err.upstream || status === undefined || status < 500 ? 502 : status;
  return new ApiError(shownStatus, err.message, 'server_error', null, 'server_error');
}
