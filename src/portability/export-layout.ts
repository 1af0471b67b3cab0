// assistd's own export layout (docs/migrating.md): one JSONL file per kind of object, each line an object exactly
// as the API shows it, and the bytes of each file under files/<file id>. `import` reads it and other layouts alike.
import type { ObjectKind } from './object-schemas.js';

/** The directory of file bytes, named by file id. */
export const BYTES_DIR = 'files';

export const MANIFEST = 'manifest.json';

/** Identifies this layout in manifest.json. */
export const FORMAT = 'assistd-export/v1';

/** The JSONL file of each kind, in the order an import needs them. */
export const KIND_FILES: Array<[ObjectKind, string]> = [
  ['file', 'files.jsonl'],
  ['assistant', 'assistants.jsonl'],
  ['thread', 'threads.jsonl'],
  ['thread.message', 'messages.jsonl'],
  ['thread.run', 'runs.jsonl'],
  ['thread.run.step', 'run_steps.jsonl'],
  ['vector_store', 'vector_stores.jsonl'],
  ['vector_store.file', 'vector_store_files.jsonl'],
];
