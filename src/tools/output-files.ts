import { Readable } from 'node:stream';
import type { BlobStore } from '../blobs/blob-store.js';
import { buildFileObject } from '../domain/file-object.js';
import { ID_PREFIX, newId } from '../domain/ids.js';
import type { FileObject } from '../domain/types.js';
import type { Store } from '../store/store.js';

type OutputDeps = { project: string; store: Store; blobs: BlobStore };

/**
 * Stores bytes a tool produced (a chart, a file the code wrote) as a File with purpose `assistants_output`,
 * downloadable through `/files/{id}/content` like any upload.
 */
export function saveOutputFile(deps: OutputDeps, filename: string, bytes: Buffer): Promise<FileObject> {
  return saveOutputStream(deps, filename, Readable.from([bytes]), bytes.length);
}

/** Like saveOutputFile, streaming `content` to the blob store; it fails, storing nothing, past `maxBytes`. */
export async function saveOutputStream(deps: OutputDeps, filename: string, content: Readable, maxBytes: number): Promise<FileObject> {
  const id = newId(ID_PREFIX.file);
  const { bytes } = await deps.blobs.write(id, content, maxBytes);
  const file = buildFileObject(id, filename, bytes, 'assistants_output');
  try {
    await deps.store.files.insert(deps.project, file);
  } catch (err) {
    await deps.blobs.delete(id);
    throw err;
  }
  return file;
}
