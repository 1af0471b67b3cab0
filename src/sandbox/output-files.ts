import { Readable } from 'node:stream';
import { openDataFile } from './data-files.js';
import type { SandboxOptions } from './options.js';
import type { SandboxFileOut, SandboxFileSaved } from './sandbox.js';
import type { SessionHome } from './session-home.js';

/** What a session may still save over its life; `collectOutputs` spends it. */
export interface OutputAllowance {
  files: number;
  bytes: number;
}

const MIB = 1024 ** 2;
/** A path as the logs show it: quoted when it holds characters that would break the line. */
const shown = (name: string) => (/[\u0000-\u001f\u007f]/.test(name) ? JSON.stringify(`/mnt/data/${name}`) : `/mnt/data/${name}`);
const size = (bytes: number) => (bytes >= MIB ? `${Math.round((bytes / MIB) * 10) / 10} MiB` : `${bytes} bytes`);

/**
 * Streams the files a call created or changed to `save`, one at a time, within the caps on one file, on the
 * call and on the session: nothing is held in memory, and each file left out is named in the notes.
 */
export async function collectOutputs(
  home: SessionHome,
  paths: string[],
  options: SandboxOptions,
  session: OutputAllowance,
  save: (file: SandboxFileOut) => Promise<string>,
): Promise<{ files: SandboxFileSaved[]; notes: string }> {
  const files: SandboxFileSaved[] = [];
  const notes: string[] = [];
  let callBytes = 0;
  for (const [index, name] of paths.entries()) {
    const countCap = files.length >= options.maxFilesPerCall ? `${options.maxFilesPerCall} files per call` : session.files <= 0 ? `${options.maxFilesPerSession} files per session` : '';
    if (countCap) {
      notes.push(`${paths.length - index} more changed file(s) in /mnt/data were not saved: the cap of ${countCap} was reached`);
      break;
    }
    const opened = await openDataFile(home, name);
    if (!opened) continue;
    const { handle } = opened;
    try {
      const cap = refusal(opened.size, callBytes, session, options);
      if (cap) {
        notes.push(`${shown(name)} (${size(opened.size)}) was not saved: ${cap}`);
        continue;
      }
      // `end` is inclusive: an empty file gets an empty stream rather than `end: -1`, which would mean "to EOF".
      const content = opened.size > 0 ? handle.createReadStream({ start: 0, end: opened.size - 1, autoClose: false }) : Readable.from([]);
      const id = await save({ name, size: opened.size, content });
      files.push({ name, id });
      callBytes += opened.size;
      session.bytes -= opened.size;
      session.files -= 1;
    } catch (err) {
      notes.push(`${shown(name)} could not be saved: ${(err as Error).message}`);
    } finally {
      await handle.close();
    }
  }
  return { files, notes: notes.map((note) => `\n[${note}]`).join('') };
}

/** Which byte cap a file of `bytes` would break, if any. */
function refusal(bytes: number, callBytes: number, session: OutputAllowance, options: SandboxOptions): string | undefined {
  if (bytes > options.maxFileBytes) return `it is larger than the cap of ${size(options.maxFileBytes)} per file`;
  if (callBytes + bytes > options.maxOutputBytesPerCall) return `the cap of ${size(options.maxOutputBytesPerCall)} of files per call was reached`;
  if (bytes > session.bytes) return `the cap of ${size(options.maxOutputBytesPerSession)} of files per session was reached`;
  return undefined;
}
