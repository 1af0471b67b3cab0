import type { ServerResponse } from 'node:http';

/** Server-sent event streams open in this process, by API: read by /metrics at scrape time. */
const open = { runs: 0, chat: 0, responses: 0 };

export type StreamKind = keyof typeof open;

/** Counts `res` as open until it closes (ended by us, or the client went away). */
export function countOpenStream(kind: StreamKind, res: ServerResponse): void {
  open[kind]++;
  res.once('close', () => open[kind]--);
}

export function openStreams(): Readonly<Record<StreamKind, number>> {
  return open;
}
