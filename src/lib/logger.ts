import pino, { type Logger } from 'pino';
import { prettyDestination } from './pretty-log.js';

/**
 * Logs to stdout: human-readable when it is a terminal, JSON lines otherwise (pino's conventions). Secrets in
 * headers and config never reach them. JSON is written asynchronously (pino flushes it at exit): a request line
 * per request must not block the event loop when whatever reads stdout falls behind.
 */
export function createLogger(level: string, options: { pretty?: boolean } = {}): Logger {
  const pretty = options.pretty ?? process.stdout.isTTY === true;
  return pino(
    {
      level,
      redact: {
        paths: ['req.headers.authorization', 'req.headers["api-key"]', '*.apiKey', '*.api_key', 'apiKey', 'api_key', 'headers.authorization', 'headers["api-key"]'],
        censor: '[redacted]',
      },
    },
    // Lines are gathered up to 4 KiB or 100 ms per write: a write per line is a system call per line, which
    // under load cost about as much as the rest of a request log line. pino flushes what is left at exit.
    pretty ? prettyDestination(process.stdout) : pino.destination({ dest: 1, sync: false, minLength: 4096, periodicFlush: 100 }),
  );
}

/**
 * A logger for lines of a fixed shape (ids, statuses, counts, durations; never a config, headers or an error
 * object): the same output without the redaction walk, which costs more than the rest of such a line.
 */
export function fixedShapeLogger(logger: Logger): Logger {
  return logger.child({}, { redact: [] });
}
