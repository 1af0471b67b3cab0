/**
 * A tiny formatter for pino's JSON lines, used when stdout is a terminal: `12:03:04 INFO  message key=value`.
 * Long records (the start-up banner) put each field on its own line. Not for machines: they get the JSON.
 */
const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO ', 40: 'WARN ', 50: 'ERROR', 60: 'FATAL' };
const COLORS: Record<number, string> = { 10: '90', 20: '90', 30: '32', 40: '33', 50: '31', 60: '35' };
const HIDDEN = new Set(['level', 'time', 'pid', 'hostname', 'msg']);
const INLINE_WIDTH = 120;

function show(value: unknown): string {
  if (typeof value === 'string') return /[\s"=]/.test(value) || value === '' ? JSON.stringify(value) : value;
  return JSON.stringify(value);
}

/** One pino record (parsed) as human-readable text, ending in a newline. */
export function formatLogRecord(record: Record<string, unknown>, color = false): string {
  const level = Number(record.level);
  const time = new Date(Number(record.time)).toISOString().slice(11, 23);
  const label = LEVELS[level] ?? String(level);
  const head = `${time} ${color ? `\x1b[${COLORS[level] ?? '0'}m${label}\x1b[0m` : label} ${String(record.msg ?? '')}`;
  const fields = Object.entries(record).filter(([key, value]) => !HIDDEN.has(key) && key !== 'err' && value !== undefined);
  const inline = fields.map(([key, value]) => `${key}=${show(value)}`).join(' ');
  const nested = fields.some(([, value]) => typeof value === 'object' && value !== null);
  let text = !inline ? head : !nested && head.length + inline.length < INLINE_WIDTH ? `${head} ${inline}` : head;
  if (text === head && inline) {
    const width = Math.max(...fields.map(([key]) => key.length));
    for (const [key, value] of fields) text += `\n    ${key.padEnd(width)}  ${typeof value === 'string' ? value : JSON.stringify(value)}`;
  }
  const err = record.err as { message?: string; stack?: string } | undefined;
  if (err) text += `\n    ${(err.stack ?? err.message ?? JSON.stringify(err)).replace(/\n/g, '\n    ')}`;
  return `${text}\n`;
}

/** A pino destination that writes formatted records to a terminal stream. */
export function prettyDestination(out: NodeJS.WriteStream): { write(line: string): void } {
  const color = out.hasColors?.() ?? false;
  return {
    write(line: string) {
      try {
        out.write(formatLogRecord(JSON.parse(line) as Record<string, unknown>, color));
      } catch {
        out.write(line);
      }
    },
  };
}
