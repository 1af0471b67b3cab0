import type { FastifyReply, FastifyRequest } from 'fastify';
import { isTerminal } from '../domain/run-status.js';
import { STREAM_END_EVENTS, type RunEventLog } from '../engine/events/run-events.js';
import type { RunEventRecord } from '../store/run-events-repo.js';
import type { Store } from '../store/store.js';
import { followLog } from './follow-log.js';
import { MAX_UNSENT_BYTES, openEventStream } from './open-streams.js';

/** One SSE frame, as the hosted API wrote them. */
function frame(event: string, data: string): string {
  return `event: ${event}\ndata: ${data}\n\n`;
}

export interface RunStreamOptions {
  store: Store;
  events: RunEventLog;
  project: string;
  runId: string;
  /** Stream the events after this one (0: from the run's creation). */
  afterSeq: number;
  /** Rewrites an event's payload for this client (include[] and the like). */
  view?: (record: RunEventRecord) => string;
}

/**
 * Streams a run's event log as `text/event-stream` until the run pauses for the client or ends, then sends
 * `done`. Reads the same log whichever replica executes the run. A client that goes away only stops the
 * stream; the run goes on and can be polled.
 */
export async function streamRun(request: FastifyRequest, reply: FastifyReply, options: RunStreamOptions): Promise<void> {
  const { store, events, project, runId } = options;
  const gone = new AbortController();
  // Only a client leaving mid-stream stops the loop; a stream that ended has nothing to stop.
  request.raw.on('close', () => {
    if (!reply.raw.writableEnded) gone.abort();
  });
  openEventStream('runs', request, reply);
  let after = options.afterSeq;
  // Frames wait for the end of the event-loop turn and go out in one socket write: a model's deltas arrive
  // several to a socket read, and each write costs a system call.
  let held = '';
  const write = () => {
    if (held && !reply.raw.writableEnded && !reply.raw.destroyed) reply.raw.write(held);
    held = '';
  };
  /**
   * Sends the events up to the first that ends the stream, or as many as fill the socket's allowance (the rest
   * are read again); true when the stream ended.
   */
  const send = (records: RunEventRecord[]): boolean => {
    let frames = '';
    for (const record of records) {
      after = record.seq;
      frames += frame(record.event, options.view ? options.view(record) : record.data);
      if (STREAM_END_EVENTS.has(record.event)) {
        finish(reply, held + frames);
        return true;
      }
      if (frames.length >= MAX_UNSENT_BYTES) break;
    }
    if (frames && !held) setImmediate(write);
    held += frames;
    // A slow reader is judged by what waits in its socket: frames held that long go there now.
    if (held.length >= MAX_UNSENT_BYTES) write();
    return false;
  };
  try {
    const settled = async () => {
      const run = await store.runs.get(project, runId);
      return !run || isTerminal(run.status) || run.status === 'requires_action';
    };
    const ended = await followLog({ events, project, id: runId, res: reply.raw, signal: gone.signal, after: () => after, send, settled });
    // A client that left gets nothing more; a settled run with no ending event still gets `done`.
    if (!ended && !gone.signal.aborted) finish(reply, held);
  } catch (err) {
    request.log.error({ err }, 'run stream failed');
    finish(reply, held + frame('error', JSON.stringify({ message: 'The stream failed on the server; poll the run for its status.', type: 'server_error', param: null, code: 'server_error' })));
  }
}

/** Ends the stream with `done`, after `frames` if given. */
function finish(reply: FastifyReply, frames = ''): void {
  if (!reply.raw.writableEnded) reply.raw.end(frames + frame('done', '[DONE]'));
}
