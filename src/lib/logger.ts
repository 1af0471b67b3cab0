import pino, { type Logger } from 'pino';

/** JSON logs; secrets in headers and config never reach them. */
export function createLogger(level: string): Logger {
  return pino({
    level,
    redact: {
      paths: ['req.headers.authorization', 'req.headers["api-key"]', '*.apiKey', '*.api_key', 'apiKey', 'api_key', 'headers.authorization', 'headers["api-key"]'],
      censor: '[redacted]',
    },
  });
}
