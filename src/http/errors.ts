import type { FastifyError, FastifyInstance } from 'fastify';
import { ApiError } from '../domain/errors.js';

interface ErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

function body(message: string, type: string, param: string | null = null, code: string | null = null): ErrorBody {
  return { error: { message, type, param, code } };
}

/** Fastify's own request errors, translated to what the hosted API said for the same mistake. */
function fromFastify(err: FastifyError): { status: number; body: ErrorBody } | undefined {
  const status = err.statusCode ?? 500;
  switch (err.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return {
        status: 400,
        body: body(
          'We could not parse the JSON body of your request. (HINT: This likely means you aren\'t using your HTTP library correctly. The OpenAI API expects a JSON payload.)',
          'invalid_request_error',
        ),
      };
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
    case 'FST_REQ_FILE_TOO_LARGE':
      return { status: 413, body: body('Request body too large.', 'invalid_request_error', null, 'payload_too_large') };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { status: 415, body: body(`Unsupported content type: ${err.message}`, 'invalid_request_error', null, 'unsupported_media_type') };
  }
  if (err instanceof SyntaxError && status === 400) {
    return fromFastify({ ...err, code: 'FST_ERR_CTP_INVALID_JSON_BODY' } as FastifyError);
  }
  if (status >= 400 && status < 500) return { status, body: body(err.message, 'invalid_request_error') };
  return undefined;
}

/** The one place errors become responses: the OpenAI error shape, never a stack trace. */
export function installErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, request, reply) => {
    if (err instanceof ApiError) {
      return reply.status(err.status).send(body(err.message, err.type, err.param, err.code));
    }
    const known = fromFastify(err);
    if (known) return reply.status(known.status).send(known.body);
    request.log.error({ err }, 'unhandled error');
    return reply.status(500).send(body('The server had an error while processing your request. Sorry about that!', 'server_error'));
  });
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0];
    reply.status(404).send(body(`Invalid URL (${request.method} ${path})`, 'invalid_request_error'));
  });
}
