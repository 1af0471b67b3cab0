// One file from disk to chunks, in whatever thread calls it (the pool runs it inside a worker).
import { readFile } from 'node:fs/promises';
import { chunkText } from './chunker.js';
import { resolveChunking } from './chunking-strategy.js';
import type { IngestErrorCode, IngestInput, IngestResult } from './ingest.js';
import { parserFor } from './parse-file.js';
import { InvalidFileError, type ParsedText, type Parser } from './parsers/parsed-text.js';
import { parserKindFor, unsupportedMessage, type ParserKind } from './supported-types.js';

/** Reads, parses and chunks one file. Never throws: every failure is an `IngestResult` with an error code. */
export async function ingestFile(input: IngestInput): Promise<IngestResult> {
  const kind = parserKindFor(input.filename);
  if (!kind) return failure('unsupported_file', unsupportedMessage(input.filename));
  let bytes: Uint8Array;
  try {
    bytes = await readFile(input.path);
  } catch (err) {
    return failure('server_error', `The file's contents could not be read (${(err as NodeJS.ErrnoException).code ?? 'error'}).`);
  }
  let parser: Parser;
  try {
    parser = await parserFor(kind);
  } catch {
    return failure('server_error', `The ${kind} parser could not be loaded.`);
  }
  const parsed = await parse(parser, kind, bytes);
  if (!parsed.ok) return failure('invalid_file', parsed.message);
  if (parsed.text.trim() === '') return failure('invalid_file', 'The file contains no text to index.');
  const { chunks, tokens } = chunkText(parsed.text, resolveChunking(input.chunking));
  return { ok: true, chunks, tokens, bytes: Buffer.byteLength(parsed.text, 'utf8') };
}

async function parse(parser: Parser, kind: ParserKind, bytes: Uint8Array): Promise<ParsedText> {
  if (bytes.length === 0) return { ok: false, message: 'The file is empty.' };
  try {
    return await parser(bytes);
  } catch (err) {
    if (err instanceof InvalidFileError) return { ok: false, message: err.message };
    // Library errors on malformed input ("invalid zip data", "Invalid PDF structure") are useful but unbounded.
    const detail = err instanceof Error ? err.message.slice(0, 200) : String(err).slice(0, 200);
    return { ok: false, message: `The file could not be parsed as ${kind.toUpperCase()}: ${detail}` };
  }
}

function failure(code: IngestErrorCode, message: string): IngestResult {
  return { ok: false, error: { code, message } };
}
