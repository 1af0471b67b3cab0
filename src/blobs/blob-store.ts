import type { Readable } from 'node:stream';

/** Where file bytes live. Local directory by default; object storage implements the same calls. */
export interface BlobStore {
  /** Streams `source` into the blob `key`, failing (and leaving nothing) when it exceeds `maxBytes`. */
  write(key: string, source: Readable, maxBytes: number): Promise<{ bytes: number }>;
  read(key: string): Readable;
  /** A local path holding the bytes, for tools that need a real file (the sandbox, parsers). */
  localPath(key: string): Promise<string>;
  delete(key: string): Promise<void>;
}

/** Thrown by `write` when the stream is longer than allowed. */
export class BlobTooLargeError extends Error {
  constructor(readonly maxBytes: number) {
    super(`blob exceeds ${maxBytes} bytes`);
  }
}
