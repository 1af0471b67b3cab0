/**
 * The host ↔ worker wire format: a 4-byte big-endian length, then that many bytes of UTF-8 JSON.
 * Requests go to the worker's stdin, replies come from its stdout; both pipes stay with the keeper process
 * inside the sandbox and never reach the user's code.
 */

/** Host → worker. */
export type WorkerRequest = { op: 'exec'; id: number; code: string } | { op: 'interrupt' };

/** Worker → host. Images are base64 PNGs. */
export type WorkerReply =
  | { type: 'ready' }
  | {
      type: 'result';
      id: number;
      logs: string;
      images: string[];
      error: { name: string; message: string; traceback: string } | null;
    }
  | { type: 'crash'; id: number | null; reason: string; logs: string };

/** Largest reply accepted from a worker (logs plus base64 figures stay far below it). */
export const MAX_FRAME_BYTES = 96 * 1024 * 1024;

/** Serializes one request with its length prefix. */
export function encodeFrame(message: WorkerRequest): Buffer {
  const payload = Buffer.from(JSON.stringify(message), 'utf8');
  const header = Buffer.alloc(4);
  header.writeUInt32BE(payload.length);
  return Buffer.concat([header, payload]);
}

/** Thrown on input no well-behaved worker sends; the caller kills that worker. */
export class ProtocolError extends Error {}

/** Reassembles frames from stdout chunks. The worker is inside the sandbox, so every reply is checked. */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;

  constructor(private readonly maxFrameBytes = MAX_FRAME_BYTES) {}

  push(chunk: Buffer): WorkerReply[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const replies: WorkerReply[] = [];
    for (;;) {
      if (this.buffered < 4) break;
      const head = this.peek(4);
      const length = head.readUInt32BE(0);
      if (length > this.maxFrameBytes) throw new ProtocolError(`worker frame of ${length} bytes is too large`);
      if (this.buffered < 4 + length) break;
      const frame = this.take(4 + length).subarray(4);
      replies.push(parseReply(frame));
    }
    return replies;
  }

  private peek(n: number): Buffer {
    if (this.chunks[0].length < n) this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0].subarray(0, n);
  }

  private take(n: number): Buffer {
    const all = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks);
    this.chunks = all.length > n ? [all.subarray(n)] : [];
    this.buffered -= n;
    return all.subarray(0, n);
  }
}

function parseReply(frame: Buffer): WorkerReply {
  let value: unknown;
  try {
    value = JSON.parse(frame.toString('utf8'));
  } catch {
    throw new ProtocolError('worker sent invalid JSON');
  }
  const reply = value as Record<string, unknown>;
  switch (reply?.type) {
    case 'ready':
      return { type: 'ready' };
    case 'result':
      return {
        type: 'result',
        id: Number(reply.id),
        logs: String(reply.logs ?? ''),
        images: Array.isArray(reply.images) ? reply.images.filter((i): i is string => typeof i === 'string') : [],
        error: parseError(reply.error),
      };
    case 'crash':
      return { type: 'crash', id: reply.id == null ? null : Number(reply.id), reason: String(reply.reason ?? ''), logs: String(reply.logs ?? '') };
    default:
      throw new ProtocolError('worker sent an unknown message');
  }
}

function parseError(value: unknown): { name: string; message: string; traceback: string } | null {
  if (!value || typeof value !== 'object') return null;
  const e = value as Record<string, unknown>;
  return { name: String(e.name ?? 'Error'), message: String(e.message ?? ''), traceback: String(e.traceback ?? '') };
}
