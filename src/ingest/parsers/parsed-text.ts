// The contract every parser family implements.

/** Extracted text, or why the file cannot be read (reported as `invalid_file`). */
export type ParsedText = { ok: true; text: string } | { ok: false; message: string };

/**
 * Reads one file format. Parsers may throw on malformed input; the caller turns that into `invalid_file`,
 * so they only return `ok: false` for failures worth a specific message.
 */
export type Parser = (bytes: Uint8Array) => Promise<ParsedText>;

/** Thrown by parser helpers when the file is malformed in a way worth telling the user precisely. */
export class InvalidFileError extends Error {
  override name = 'InvalidFileError';
}
