import { isUtf8 } from 'node:buffer';
import { BadRequestError } from '../domain/errors.js';

/**
 * Parses a JSON request body. Bytes that are not UTF-8 are refused rather than decoded with replacement
 * characters (which would store text the client never sent). An empty body (the SDK's bodiless POSTs) means
 * "no parameters", not malformed JSON. A syntax error surfaces as a SyntaxError, rendered as the hosted API's 400.
 */
export function parseJsonBody(body: Buffer): unknown {
  if (!isUtf8(body)) throw new BadRequestError('Invalid request body: it is not valid UTF-8.', null, 'invalid_encoding');
  const text = body.toString('utf8');
  return text.trim() === '' ? undefined : JSON.parse(text);
}
