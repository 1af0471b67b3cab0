// `assistd export`: a project's objects in assistd's own layout (export-layout.ts), so they can move to another
// deployment or project with `assistd import`, and back out to anything that reads the API's JSON.
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { once } from 'node:events';
import { pipeline } from 'node:stream/promises';
import type { BlobStore } from '../blobs/blob-store.js';
import { nowSeconds } from '../domain/ids.js';
import { vectorStoreView } from '../domain/vector-stores.js';
import type { DocumentRepo, Page, PageQuery, Scope, Store } from '../store/store.js';
import { BYTES_DIR, FORMAT, KIND_FILES, MANIFEST } from './export-layout.js';
import type { ObjectKind } from './object-schemas.js';

export interface ExportOptions {
  store: Store;
  blobs: BlobStore;
  dir: string;
  project: string;
}

export interface ExportResult {
  counts: Partial<Record<ObjectKind, number>>;
  /** Objects that could not be written (a file whose bytes are gone), with the reason. */
  problems: string[];
}

const PAGE = 100;

/** Every object of a list, oldest first, page by page along the keyset. */
async function* everything<T extends { id: string }>(list: (page: PageQuery) => Promise<Page<T>>): AsyncGenerator<T> {
  let after: string | undefined;
  for (;;) {
    const page = await list({ limit: PAGE, order: 'asc', ...(after ? { after } : {}) });
    yield* page.data;
    if (!page.has_more || page.data.length === 0) return;
    after = page.data[page.data.length - 1]!.id;
  }
}

/** The objects of one kind in the project, as the API shows them. */
async function* objectsOf(store: Store, project: string, kind: ObjectKind): AsyncGenerator<{ id: string }> {
  const all = <T extends { id: string; created_at: number }>(repo: DocumentRepo<T>, scope?: Scope) => everything((page) => repo.list(project, page, scope));
  // Messages, runs and steps are read thread by thread (run by run): their tables are indexed that way, not by project.
  const threads = () => all(store.threads);
  const stores = () => everything((page) => store.vectorStores.list(project, page));
  if (kind === 'file') yield* all(store.files);
  else if (kind === 'assistant') yield* all(store.assistants);
  else if (kind === 'thread') yield* threads();
  else if (kind === 'thread.message') for await (const t of threads()) yield* all(store.messages, { thread_id: t.id });
  else if (kind === 'thread.run') for await (const t of threads()) yield* all(store.runs, { thread_id: t.id });
  else if (kind === 'thread.run.step') {
    for await (const t of threads()) for await (const r of all(store.runs, { thread_id: t.id })) yield* all(store.runSteps, { run_id: r.id });
  } else if (kind === 'vector_store') {
    for await (const vs of stores()) {
      const usage = (await store.vectorStoreFiles.usage(project, [vs.id])).get(vs.id) ?? { in_progress: 0, completed: 0, failed: 0, cancelled: 0, total: 0, usage_bytes: 0 };
      yield vectorStoreView(vs, usage, nowSeconds());
    }
  } else {
    for await (const vs of stores()) yield* everything((page) => store.vectorStoreFiles.list(project, vs.id, page));
  }
}

async function writeLines(path: string, objects: AsyncIterable<unknown>, each: (obj: unknown) => Promise<void>): Promise<number> {
  const out = createWriteStream(path);
  let n = 0;
  try {
    for await (const obj of objects) {
      await each(obj);
      if (!out.write(`${JSON.stringify(obj)}\n`)) await once(out, 'drain');
      n++;
    }
  } finally {
    out.end();
    await once(out, 'close');
  }
  return n;
}

/** Writes the project's objects and file bytes into `dir`, which must be empty or absent. */
export async function exportProject({ store, blobs, dir, project }: ExportOptions): Promise<ExportResult> {
  await mkdir(join(dir, BYTES_DIR), { recursive: true });
  const present = (await readdir(dir)).filter((name) => name !== BYTES_DIR);
  if (present.length > 0 || (await readdir(join(dir, BYTES_DIR))).length > 0) throw new Error(`${dir} is not empty; export into an empty or new directory`);
  const result: ExportResult = { counts: {}, problems: [] };
  for (const [kind, name] of KIND_FILES) {
    result.counts[kind] = await writeLines(join(dir, name), objectsOf(store, project, kind), async (obj) => {
      if (kind !== 'file') return;
      const id = (obj as { id: string }).id;
      // A missing blob leaves the file object in the export; the import reports it skipped for want of bytes.
      const path = join(dir, BYTES_DIR, id);
      await pipeline(blobs.read(id), createWriteStream(path)).catch(async (err: Error) => {
        await rm(path, { force: true });
        result.problems.push(`file ${id}: its bytes could not be read (${err.message})`);
      });
    });
  }
  const manifest = { format: FORMAT, project, exported_at: nowSeconds(), counts: result.counts };
  await writeFile(join(dir, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
  return result;
}
