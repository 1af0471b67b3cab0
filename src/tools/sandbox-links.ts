import type { Annotation, CodeInterpreterOutput } from '../domain/types.js';
import { codePoints } from '../lib/code-points.js';

/**
 * Files a call wrote are listed in a `logs` output of their own, in this fixed form, so that everything a later
 * step needs (the sandbox path for the model, the file id for annotations) is in the stored run step: a run
 * resumed by another process finds it there.
 */
const HEADER = 'Files saved from /mnt/data:';
const LINE = /^\/mnt\/data\/(.+) \((file-[0-9A-Za-z]+)\)$/;

/** A file the code wrote, stored as a File. `name` is its path under /mnt/data. */
export interface SavedFile {
  name: string;
  fileId: string;
}

export function savedFilesOutput(files: SavedFile[]): CodeInterpreterOutput {
  return { type: 'logs', logs: [HEADER, ...files.map((f) => `/mnt/data/${f.name} (${f.fileId})`)].join('\n') };
}

/** The files listed by an output made by savedFilesOutput; undefined for any other output. */
export function parseSavedFiles(output: CodeInterpreterOutput): SavedFile[] | undefined {
  if (output.type !== 'logs') return undefined;
  const [header, ...lines] = output.logs.split('\n');
  if (header !== HEADER || lines.length === 0) return undefined;
  const files: SavedFile[] = [];
  for (const line of lines) {
    const match = LINE.exec(line);
    if (!match) return undefined;
    files.push({ name: match[1]!, fileId: match[2]! });
  }
  return files;
}

const LINK = /sandbox:\/mnt\/data\/([^\s)\]<>"'`]+)/g;

function decoded(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

/** The saved file a link's path names, tolerating trailing sentence punctuation and %-escapes. */
function resolveLink(path: string, files: Map<string, string>): { length: number; fileId: string } | undefined {
  for (let end = path.length; end > 0; end--) {
    const fileId = files.get(path.slice(0, end)) ?? files.get(decoded(path.slice(0, end)));
    if (fileId) return { length: end, fileId };
    if (!/[.,;:!?]/.test(path[end - 1]!)) return undefined;
  }
  return undefined;
}

/** `file_path` annotations for every `sandbox:/mnt/data/<name>` link to a file in `files` (name → file id). */
export function sandboxLinkAnnotations(text: string, files: Map<string, string>): Annotation[] {
  const out: Annotation[] = [];
  for (const match of text.matchAll(LINK)) {
    const found = resolveLink(match[1]!, files);
    if (!found) continue;
    const linkText = match[0].slice(0, 'sandbox:/mnt/data/'.length + found.length);
    const start = codePoints(text.slice(0, match.index));
    out.push({
      type: 'file_path',
      text: linkText,
      start_index: start,
      end_index: start + codePoints(linkText),
      file_path: { file_id: found.fileId },
    });
  }
  return out;
}

const LINK_START = 'sandbox:/mnt/data/';
/** A link not yet ended by one of the characters that end a link's path. */
const OPEN_LINK = /sandbox:\/mnt\/data\/[^\s)\]<>"'`]*$/;

/**
 * Where a link may still be starting at the end of `text` (streamed so far): an unterminated link, or a start
 * of `sandbox:/mnt/data/`; `text.length` when neither is there.
 */
export function openLinkFrom(text: string): number {
  const open = OPEN_LINK.exec(text);
  if (open) return open.index;
  for (let n = Math.min(LINK_START.length - 1, text.length); n > 0; n--) {
    if (text.endsWith(LINK_START.slice(0, n))) return text.length - n;
  }
  return text.length;
}
