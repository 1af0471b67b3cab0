// Reads an export directory in any of the layouts `import` takes: assistd's own (export-layout.ts), the
// redwoodworksco/assistants-api-export layout (assistants.json, threads/<id>.json records whose runs carry their
// `steps`, file metadata keyed by id, an `errors` array) and loose dumps of the hosted list endpoints. Every JSON or
// JSONL file is read and each object is recognised by its `object` field, wherever it sits: alone, in an array,
// in a list page's `data`, or inside a record.
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { BYTES_DIR } from './export-layout.js';
import { isObjectKind, type ObjectKind } from './object-schemas.js';

/** One object found in the export, not yet validated; `source` says where (file, and line for JSONL). */
export interface FoundObject {
  kind: ObjectKind;
  raw: Record<string, unknown>;
  source: string;
}

/** Something in the export that is not an importable object, for the report. */
export interface ExportNote {
  source: string;
  reason: string;
}

export interface ExportContents {
  objects: FoundObject[];
  notes: ExportNote[];
}

type Json = Record<string, unknown>;

const isRecord = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

function collect(value: unknown, source: string, out: ExportContents): void {
  if (Array.isArray(value)) {
    for (const item of value) collect(item, source, out);
  } else if (!isRecord(value)) {
    return;
  } else if (value.object === 'list' && Array.isArray(value.data)) {
    collect(value.data, source, out);
  } else if (isObjectKind(value.object)) {
    const { steps, ...rest } = value;
    // The export tool hangs a run's steps on the run; the run object itself has no such field.
    const raw = value.object === 'thread.run' && Array.isArray(steps) ? rest : value;
    out.objects.push({ kind: value.object, raw, source });
    if (raw !== value) collect(steps, source, out);
  } else if (typeof value.object === 'string') {
    out.notes.push({ source, reason: `${value.object} ${String(value.id ?? '')}: this kind of object is not imported`.replace(' :', ':') });
  } else {
    for (const [key, inner] of Object.entries(value)) {
      if (key === 'errors' && Array.isArray(inner)) noteExportErrors(inner, source, out);
      else collect(inner, source, out);
    }
  }
}

/** What the export tool itself could not fetch (a deleted thread, an aged-out file) is passed on to the report. */
function noteExportErrors(errors: unknown[], source: string, out: ExportContents): void {
  for (const e of errors) {
    if (!isRecord(e)) continue;
    out.notes.push({ source, reason: `the export recorded that ${String(e.object ?? 'an object')} ${String(e.id ?? '')} could not be exported: ${String(e.error ?? e.detail ?? 'unknown error')}` });
  }
}

function parseFile(text: string, source: string, jsonl: boolean, out: ExportContents): void {
  if (!jsonl) {
    try {
      collect(JSON.parse(text), source, out);
    } catch (err) {
      out.notes.push({ source, reason: `not valid JSON (${(err as Error).message}); nothing in it was imported` });
    }
    return;
  }
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      collect(JSON.parse(line), `${source}:${i + 1}`, out);
    } catch (err) {
      out.notes.push({ source: `${source}:${i + 1}`, reason: `not valid JSON (${(err as Error).message})` });
    }
  });
}

async function walk(dir: string, root: string, out: ExportContents): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const path = join(dir, entry.name);
    const source = relative(root, path);
    if (entry.isDirectory()) {
      // File bytes are data, not export objects, whatever their names.
      if (dir === root && entry.name === BYTES_DIR) continue;
      await walk(path, root, out);
    } else if (/\.jsonl$|\.ndjson$/i.test(entry.name)) {
      parseFile(await readFile(path, 'utf8'), source, true, out);
    } else if (/\.json$/i.test(entry.name)) {
      parseFile(await readFile(path, 'utf8'), source, false, out);
    }
  }
}

/** Every object of the export at `dir`, in file order, with notes on what could not be read. */
export async function readExport(dir: string): Promise<ExportContents> {
  if (!(await stat(dir).catch(() => undefined))?.isDirectory()) throw new Error(`${dir} is not a directory`);
  const out: ExportContents = { objects: [], notes: [] };
  await walk(dir, dir, out);
  return out;
}

/** Where the bytes of file `id` are in the export, when they are there. */
export async function bytesPath(dir: string, id: string): Promise<string | undefined> {
  const path = join(dir, BYTES_DIR, id);
  return (await stat(path).catch(() => undefined))?.isFile() ? path : undefined;
}
