import { Readable } from 'node:stream';
import type { BlobStore } from '../blobs/blob-store.js';
import { buildFileObject } from '../domain/file-object.js';
import { ID_PREFIX, newId } from '../domain/ids.js';
import type { FileObject } from '../domain/types.js';
import type { Store } from '../store/store.js';

/**
 * Stores bytes a tool produced (a chart, a file the code wrote) as a File with purpose `assistants_output`,
 * downloadable through `/files/{id}/content` like any upload.
 */
export async function saveOutputFile(
  deps: { project: string; store: Store; blobs: BlobStore },
  filename: string,
  bytes: Buffer,
): Promise<FileObject> {
  const id = newId(ID_PREFIX.file);
  await deps.blobs.write(id, Readable.from([bytes]), bytes.length);
  const file = buildFileObject(id, filename, bytes.length, 'assistants_output');
  try {
    await deps.store.files.insert(deps.project, file);
  } catch (err) {
    await deps.blobs.delete(id);
    throw err;
  }
  return file;
}
