import type { Readable } from 'node:stream';

/** Where file bytes live. Local directory by default; object storage implements the same calls. */
export interface BlobStore {
  /** Streams `source` into the blob `key`, failing (and leaving nothing) when it exceeds `maxBytes`. */
  write(key: string, source: Readable, maxBytes: number): Promise<{ bytes: number }>;
  read(key: string): Readable;
  /** A local path holding the bytes, for tools that need a real file (the sandbox, parsers). */
  localPath(key: string): Promise<string>;
  delete(key: string): Promise<void>;
  /**
   * Removes what a crash left behind: half-written blobs, and blobs whose key `known` does not report (no file
   * row). Only entries untouched for `graceMs` are considered, so uploads in flight are left alone.
   */
  sweep(known: (keys: string[]) => Promise<Set<string>>, graceMs: number): Promise<{ removed: number }>;
}

/** Thrown by `write` when the stream is longer than allowed. */
export class BlobTooLargeError extends Error {
  constructor(readonly maxBytes: number) {
    super(`blob exceeds ${maxBytes} bytes`);
  }
}
