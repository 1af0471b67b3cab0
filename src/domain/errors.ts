/**
 * The error family every layer throws for expected client-visible failures; the HTTP error handler renders them
 * once in the OpenAI shape `{error: {message, type, param, code}}`.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly type: string,
    readonly param: string | null = null,
    readonly code: string | null = null,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class BadRequestError extends ApiError {
  constructor(message: string, param: string | null = null, code: string | null = null, options?: { cause?: unknown }) {
    super(400, message, 'invalid_request_error', param, code, options);
  }
}

export class AuthenticationError extends ApiError {
  constructor(message: string) {
    super(401, message, 'invalid_request_error', null, 'invalid_api_key');
  }
}

export class NotFoundError extends ApiError {
  constructor(message: string, param: string | null = null) {
    super(404, message, 'invalid_request_error', param, null);
  }
}

export class ConflictError extends ApiError {
  constructor(message: string, param: string | null = null) {
    super(409, message, 'invalid_request_error', param, null);
  }
}

export class PayloadTooLargeError extends ApiError {
  constructor(message: string) {
    super(413, message, 'invalid_request_error', null, 'payload_too_large');
  }
}

export class UnsupportedMediaTypeError extends ApiError {
  constructor(message: string) {
    super(415, message, 'invalid_request_error', null, 'unsupported_media_type');
  }
}

/** Names the object the way the hosted API's 404 messages did. */
export function notFound(kind: string, id: string, param: string | null = null): NotFoundError {
  return new NotFoundError(`No ${kind} found with id '${id}'.`, param);
}
