// The `assistd import` and `assistd export` commands: open the configured database and file store, move the
// data, print what happened. An import waits for its vector stores' files to be ingested before it ends.
import { createBlobStore } from '../blobs/create-blob-store.js';
import { ConfigError, type Config } from '../config.js';
import { createStoredScriptSource } from '../engine/stored-script-source.js';
import { createVectorStoreIngestion } from '../ingest/vector-store-ingestion.js';
import { createModelRegistry } from '../providers/registry.js';
import { createSearchIndex } from '../search/create-search-index.js';
import { providersConfig } from '../server.js';
import { createStore } from '../store/create-store.js';
import type { Store } from '../store/store.js';
import { exportProject } from './export-project.js';
import { importExport } from './import-export.js';
import { formatReport, isClean } from './import-report.js';

/** How long an import waits for its vector stores; files still in progress then are finished by the server. */
const INGEST_WAIT_MS = 60 * 60 * 1000;

type Print = (line: string) => void;

/** Runs the queued ingestion of the imported vector stores' files and prints how each store came out. */
async function ingest(config: Config, store: Store, project: string, ids: string[], print: Print): Promise<void> {
  const blobs = createBlobStore(config);
  const models = createModelRegistry(providersConfig(config), { scriptSource: createStoredScriptSource(store) });
  const ingestion = createVectorStoreIngestion({ store, blobs, index: createSearchIndex(store), embeddings: models.embeddingModel(), embeddingRetryMs: config.embeddingRetrySeconds * 1000 });
  try {
    print(`ingesting the files of ${ids.length} vector store(s)...`);
    const done = await ingestion.waitForVectorStores(project, ids, INGEST_WAIT_MS);
    for (const [id, usage] of await store.vectorStoreFiles.usage(project, ids)) {
      print(`  ${id}: ${usage.completed} completed, ${usage.failed} failed${usage.in_progress ? `, ${usage.in_progress} still in progress` : ''}`);
    }
    if (!done) print('files still in progress are ingested by `assistd serve` (or `assistd worker`) on this database');
  } finally {
    await ingestion.close();
  }
}

/** `assistd import DIR`: exit status 0 when every object was imported or already there, 2 when some were not. */
export async function importCommand(config: Config, dir: string, project: string, print: Print = console.log): Promise<number> {
  const store = createStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  try {
    await store.migrate();
    const blobs = createBlobStore(config);
    const report = await importExport({ store, blobs, dir, project, maxFileBytes: config.maxFileBytes }).catch((err: Error) => {
      throw new ConfigError(`cannot import ${dir}: ${err.message}`);
    });
    for (const line of formatReport(report)) print(line);
    if (report.vectorStoreIds.length > 0) await ingest(config, store, project, report.vectorStoreIds, print);
    return isClean(report) ? 0 : 2;
  } finally {
    await store.close();
  }
}

/** `assistd export DIR`: exit status 2 when some file bytes could not be read. */
export async function exportCommand(config: Config, dir: string, project: string, print: Print = console.log): Promise<number> {
  const store = createStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  try {
    await store.migrate();
    const blobs = createBlobStore(config);
    const result = await exportProject({ store, blobs, dir, project }).catch((err: Error) => {
      throw new ConfigError(`cannot export to ${dir}: ${err.message}`);
    });
    print(`exported project "${project}" to ${dir}: ${Object.entries(result.counts).map(([kind, n]) => `${n} ${kind}`).join(', ')}`);
    for (const problem of result.problems) print(`problem: ${problem}`);
    return result.problems.length === 0 ? 0 : 2;
  } finally {
    await store.close();
  }
}
