// One claimed vector store file: parse and chunk it (worker threads), embed the chunks when a model answers, put
// them in the search index and record the outcome. Whatever happens to the file meanwhile (removed, re-added,
// its batch cancelled) wins over this attempt: the outcome is only recorded if the attempt is still current.
import type { Logger } from 'pino';
import type { BlobStore } from '../blobs/blob-store.js';
import { chunkingOf } from '../domain/vector-stores.js';
import type { BackgroundGate } from '../lib/background-gate.js';
import type { SearchIndex } from '../search/search-index.js';
import type { Store } from '../store/store.js';
import type { ClaimedVectorStoreFile, IngestOutcome } from '../store/vector-store-files-repo.js';
import type { ChunkEmbedder } from './chunk-embedder.js';
import type { Ingestor } from './ingest.js';

export interface FileJobDeps {
  store: Store;
  blobs: BlobStore;
  index: SearchIndex;
  ingestor: Ingestor;
  /** Each step on the main thread (store reads and writes, index writes, starting a parse or an embedding) waits here. */
  gate: BackgroundGate;
  /** Absent: lexical search only. */
  embedder?: ChunkEmbedder;
  logger?: Logger;
}

/** `released` means the pipeline is shutting down and the file was handed back for the next start. */
export type FileJobResult = 'completed' | 'failed' | 'discarded' | 'released';

export async function ingestVectorStoreFile(deps: FileJobDeps, claim: ClaimedVectorStoreFile, signal: AbortSignal): Promise<FileJobResult> {
  const { store, index } = deps;
  const { project, vectorStoreId, fileId } = claim;
  try {
    await deps.gate.pass();
    const file = await store.files.get(project, fileId);
    if (!file) return finish(deps, claim, { status: 'failed', error: { code: 'invalid_file', message: `The file '${fileId}' no longer exists.` } });
    const path = await deps.blobs.localPath(file.id);
    const result = await deps.ingestor.ingest({ path, filename: file.filename, chunking: chunkingOf(claim.file.chunking_strategy) });
    if (signal.aborted) return release(deps, claim);
    if (!result.ok) return finish(deps, claim, { status: 'failed', error: result.error });

    // Still wanted? A removed or cancelled file is not worth embedding.
    await deps.gate.pass();
    const current = await store.vectorStoreFiles.get(project, vectorStoreId, fileId);
    if (!current || current.status !== 'in_progress') return 'discarded';
    // Without vectors (no model, or it is down) the file is still searchable by its words.
    const embedded = deps.embedder ? await deps.embedder.embed(result.chunks, signal) : { chunks: result.chunks, embeddingModel: null };
    await deps.gate.pass();
    await index.putFile(project, vectorStoreId, { fileId, filename: file.filename, attributes: current.attributes }, embedded.chunks, embedded.embeddingModel);
    const outcome = await finish(deps, claim, { status: 'completed', usageBytes: result.bytes });
    if (outcome === 'discarded') await dropOrphanedChunks(deps, claim);
    else await catchUpAttributes(deps, claim, current.attributes);
    return outcome;
  } catch (err) {
    if (signal.aborted) return release(deps, claim);
    deps.logger?.warn({ err, vectorStoreId, fileId }, 'vector store file ingestion failed');
    const message = err instanceof Error ? err.message.slice(0, 500) : 'The file could not be processed.';
    return finish(deps, claim, { status: 'failed', error: { code: 'server_error', message } });
  }
}

async function finish(deps: FileJobDeps, claim: ClaimedVectorStoreFile, outcome: IngestOutcome): Promise<FileJobResult> {
  await deps.gate.pass();
  return (await deps.store.vectorStoreFiles.finish(claim, outcome)) ? outcome.status : 'discarded';
}

async function release(deps: FileJobDeps, claim: ClaimedVectorStoreFile): Promise<FileJobResult> {
  await deps.store.vectorStoreFiles.release(claim);
  return 'released';
}

/**
 * The chunks went in but the attempt lost: if the file was removed or cancelled meanwhile, nothing may stay
 * searchable. (Re-added files are re-indexed by their new attempt, which replaces these chunks.)
 */
async function dropOrphanedChunks(deps: FileJobDeps, claim: ClaimedVectorStoreFile): Promise<void> {
  const now = await deps.store.vectorStoreFiles.get(claim.project, claim.vectorStoreId, claim.fileId);
  if (!now || now.status === 'cancelled') await deps.index.removeFile(claim.project, claim.vectorStoreId, claim.fileId);
}

/** Attributes updated while the chunks were being written would otherwise be lost in the index. */
async function catchUpAttributes(deps: FileJobDeps, claim: ClaimedVectorStoreFile, written: Record<string, unknown>): Promise<void> {
  const now = await deps.store.vectorStoreFiles.get(claim.project, claim.vectorStoreId, claim.fileId);
  if (now && JSON.stringify(now.attributes) !== JSON.stringify(written)) {
    await deps.index.setAttributes(claim.project, claim.vectorStoreId, claim.fileId, now.attributes);
  }
}
