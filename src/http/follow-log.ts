import type { ServerResponse } from 'node:http';
import type { RunEventLog } from '../engine/events/run-events.js';
import type { RunEventRecord } from '../store/run-events-repo.js';
import { roomToWrite } from './open-streams.js';

/** How long a stream waits for news before it asks whether the run or response has settled. */
const WAIT_MS = 1000;

export interface LogFollower {
  events: RunEventLog;
  project: string;
  /** The run or response whose log is followed. */
  id: string;
  res: ServerResponse;
  signal: AbortSignal;
  /** The seq of the last record sent (`send` moves it). */
  after(): number;
  /**
   * Writes records up to the one that ends the stream (then true), or until the socket's allowance is full (the
   * rest are read again).
   */
  send(records: RunEventRecord[]): boolean;
  /** True when no more events will come: the ending ones are stored with the status, so a settled log is whole. */
  settled(): Promise<boolean>;
}

/**
 * Follows an event log, stored or still growing, for a run stream and a background response's stream alike: reads
 * what is new, waits for news (woken across replicas), and once the log is quiet and its owner settled, sends
 * what is left. A slow reader is waited for before more is read. True when `send` saw the end.
 */
export async function followLog(f: LogFollower): Promise<boolean> {
  while (!f.signal.aborted) {
    await roomToWrite(f.res, f.signal);
    const records = await f.events.read(f.project, f.id, f.after());
    if (f.send(records)) return true;
    if (records.length > 0 || (await f.events.wait(f.id, WAIT_MS, f.signal))) continue;
    if (!(await f.settled())) continue;
    for (;;) {
      const rest = await f.events.read(f.project, f.id, f.after());
      if (f.send(rest)) return true;
      if (rest.length === 0 || f.signal.aborted) return false;
      await roomToWrite(f.res, f.signal);
    }
  }
  return false;
}
