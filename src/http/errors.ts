import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../domain/errors.js';

interface ErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

/** The OpenAI error shape, the only error body the server ever sends. */
export function errorBody(message: string, type = 'invalid_request_error', param: string | null = null, code: string | null = null): ErrorBody {
  return { error: { message, type, param, code } };
}

const INVALID_JSON =
  'We could not parse the JSON body of your request. (HINT: This likely means you aren\'t using your HTTP library correctly. The OpenAI API expects a JSON payload.)';

/** Fastify's own request errors, translated to what the hosted API said for the same mistake. */
function fromFastify(err: FastifyError): { status: number; body: ErrorBody } | undefined {
  const status = err.statusCode ?? 500;
  switch (err.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { status: 400, body: errorBody(INVALID_JSON) };
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
    case 'FST_REQ_FILE_TOO_LARGE':
      return { status: 413, body: errorBody('Request body too large.', 'invalid_request_error', null, 'payload_too_large') };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { status: 415, body: errorBody(`Unsupported content type: ${err.message}`, 'invalid_request_error', null, 'unsupported_media_type') };
  }
  if (err instanceof SyntaxError && status === 400) return { status: 400, body: errorBody(INVALID_JSON) };
  if (status >= 400 && status < 500) return { status, body: errorBody(err.message) };
  return undefined;
}

/**
 * Headers a download set before it failed describe the file, not the error: a kept content-length would cut the
 * error body to the file's length. Both Fastify's copy and the raw response's (streams set them there) go.
 */
function dropPayloadHeaders(reply: FastifyReply): void {
  if (reply.raw.headersSent) return;
  for (const name of ['content-length', 'content-disposition', 'content-type']) {
    reply.removeHeader(name);
    reply.raw.removeHeader(name);
  }
}

/** Errors Fastify raises before a route runs: a URL it cannot decode, a path parameter longer than it allows. */
export function frameworkErrors(err: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const path = request.url.split('?')[0];
  if (err.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    reply.status(414).send(errorBody(`Invalid URL (${request.method} ${path}): a path parameter is too long.`, 'invalid_request_error', null, 'invalid_url'));
    return;
  }
  reply.status(400).send(errorBody(`Invalid URL (${request.method} ${path}): it could not be decoded.`, 'invalid_request_error', null, 'invalid_url'));
}

/** The answer to a request Node's HTTP parser refused (malformed, headers too large, too slow): written on the socket. */
export function clientErrorHandler(err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, message] =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'Request header fields too large.']
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'Request timed out.']
        : [400, 'Malformed HTTP request.'];
  const payload = JSON.stringify(errorBody(message));
  // A response already under way on this socket (a body that broke after its request was routed) is not followed
  // by a second one, as Node's own handler does.
  const pending = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (socket.writable && !pending?.headersSent) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(payload)}\r\nConnection: close\r\n\r\n${payload}`,
    );
  }
  socket.destroy(err);
}

/** The one place errors become responses: the OpenAI error shape, never a stack trace. */
export function installErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, request, reply) => {
    dropPayloadHeaders(reply);
    if (err instanceof ApiError) {
      return reply.status(err.status).send(errorBody(err.message, err.type, err.param, err.code));
    }
    const known = fromFastify(err);
    if (known) return reply.status(known.status).send(known.body);
    request.log.error({ err }, 'unhandled error');
    return reply.status(500).send(errorBody('The server had an error while processing your request. Sorry about that!', 'server_error'));
  });
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0];
    reply.status(404).send(errorBody(`Invalid URL (${request.method} ${path})`));
  });
}
