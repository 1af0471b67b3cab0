/**
 * Embeddings over an OpenAI-compatible `/embeddings` endpoint or an Azure deployment. The client makes one
 * request, retried like chat calls, with failures mapped to a `ProviderError`; the model on top sends inputs in
 * batches, a few batches at a time, for file search.
 */
import { AzureOpenAI, OpenAI } from 'openai';
import { ProviderError } from './chat-model.js';
import { DEFAULT_EMBEDDING_DIMENSIONS, DEFAULT_EMBEDDING_MODEL, embeddingKey, type EmbeddingModel } from './embedding-model.js';
import { defaultRetryPolicy, withRetry, type RetryPolicy } from './retry.js';
import { classifyForRetry, toProviderError, type UpstreamTarget } from './upstream-error.js';
import { DEFAULT_AZURE_API_VERSION } from './azure.js';
import { clientOptions, defaultTimeouts } from './client-chat-model.js';

/** Where embeddings come from and how requests to it behave. */
export interface EmbeddingsUpstreamConfig {
  /** Upstream model name, or the Azure deployment. Default `text-embedding-3-large`. */
  model?: string;
  /** OpenAI-compatible server; ignored when `azure` is given. */
  baseURL?: string;
  apiKey?: string;
  azure?: { endpoint: string; apiKey: string; apiVersion?: string };
  requestTimeoutMs?: number;
  retry?: RetryPolicy;
  setupHint?: string;
  keyHint?: string;
}

export interface OpenAIEmbeddingConfig extends EmbeddingsUpstreamConfig {
  /** Vector size; default 256 for text-embedding-3 models, else whatever the model returns. */
  dimensions?: number;
  /** Inputs per request (OpenAI accepts up to 2048; smaller batches fail and retry cheaper). Default 96. */
  batchSize?: number;
  /** Requests in flight at once. Default 4. */
  concurrency?: number;
  /** Send `dimensions` upstream. Default: only for text-embedding-3 models, which are the ones that accept it. */
  sendDimensions?: boolean;
}

/** One `/embeddings` request as an API client sends it (floats always come back; callers encode). */
export interface EmbeddingsRequest {
  input: string | string[] | number[] | number[][];
  dimensions?: number;
  user?: string;
}

export interface EmbeddingsResult {
  vectors: number[][];
  usage: { prompt_tokens: number; total_tokens: number };
}

/** One upstream's `/embeddings` endpoint. */
export interface EmbeddingsClient {
  /** The upstream model or deployment name. */
  model: string;
  create(request: EmbeddingsRequest, signal?: AbortSignal): Promise<EmbeddingsResult>;
}

/** Creates a client for OpenAI, Azure OpenAI or any compatible server. */
export function createEmbeddingsClient(cfg: EmbeddingsUpstreamConfig): EmbeddingsClient {
  const model = cfg.model ?? DEFAULT_EMBEDDING_MODEL;
  const timeoutMs = cfg.requestTimeoutMs ?? defaultTimeouts.requestMs;
  const common = clientOptions({ ...defaultTimeouts, requestMs: timeoutMs });
  const client = cfg.azure
    ? new AzureOpenAI({ ...common, endpoint: cfg.azure.endpoint, apiKey: cfg.azure.apiKey, apiVersion: cfg.azure.apiVersion ?? DEFAULT_AZURE_API_VERSION, deployment: model, baseURL: null })
    : new OpenAI({ ...common, baseURL: cfg.baseURL ?? 'https://api.openai.com/v1', apiKey: cfg.apiKey || 'none' });
  const target: UpstreamTarget = {
    url: cfg.azure?.endpoint ?? client.baseURL,
    model,
    setupHint: cfg.setupHint ?? 'set the embedding model in the config file',
    keyHint: cfg.keyHint ?? (cfg.azure ? 'set AZURE_OPENAI_API_KEY' : 'set OPENAI_API_KEY'),
  };
  return {
    model,
    async create(request, signal) {
      // The openai client adds an abort listener to the signal it is given and never removes it; a long-lived
      // signal (the ingestion pipeline's) would collect one per request. It gets a short-lived one instead.
      const call = linkedSignal(signal);
      try {
        const response = await withRetry(
          () => client.embeddings.create({ ...request, model, encoding_format: 'float' }, { signal: call.signal ?? null, timeout: timeoutMs, maxRetries: 0 }),
          classifyForRetry,
          cfg.retry ?? defaultRetryPolicy,
          signal,
        );
        const vectors = [...response.data].sort((a, b) => a.index - b.index).map((d) => d.embedding);
        const usage = { prompt_tokens: response.usage?.prompt_tokens ?? 0, total_tokens: response.usage?.total_tokens ?? 0 };
        return { vectors, usage };
      } catch (err) {
        if (signal?.aborted) throw signal.reason;
        throw toProviderError(err, target, timeoutMs);
      } finally {
        call.release();
      }
    },
  };
}

/** A signal that follows `parent` until released; releasing removes the one listener it put on the parent. */
function linkedSignal(parent?: AbortSignal): { signal?: AbortSignal; release(): void } {
  if (!parent) return { release() {} };
  const controller = new AbortController();
  if (parent.aborted) controller.abort(parent.reason);
  const onAbort = () => controller.abort(parent.reason);
  parent.addEventListener('abort', onAbort, { once: true });
  return { signal: controller.signal, release: () => parent.removeEventListener('abort', onAbort) };
}

/** Creates an `EmbeddingModel` for OpenAI, Azure OpenAI or any compatible server. */
export function createOpenAIEmbeddingModel(cfg: OpenAIEmbeddingConfig): EmbeddingModel {
  const client = createEmbeddingsClient(cfg);
  const name = client.model;
  const isV3 = /^text-embedding-3/.test(name);
  const dimensions = cfg.dimensions ?? (isV3 ? DEFAULT_EMBEDDING_DIMENSIONS : undefined);
  const batchSize = cfg.batchSize ?? 96;
  const concurrency = cfg.concurrency ?? 4;
  const sendDimensions = dimensions !== undefined && (cfg.sendDimensions ?? isV3);
  const where = cfg.azure?.endpoint ?? cfg.baseURL ?? 'the embeddings server';
  // Without a configured size, the first answer fixes it: vectors of one model must all compare.
  let size = dimensions;

  async function embedBatch(texts: string[], signal?: AbortSignal): Promise<number[][]> {
    // OpenAI rejects empty strings; a space embeds as "nothing" just as well.
    const input = texts.map((t) => (t.trim() === '' ? ' ' : t));
    const { vectors } = await client.create({ input, ...(sendDimensions ? { dimensions } : {}) }, signal);
    if (vectors.length !== texts.length) {
      throw new ProviderError('server_error', `${where} returned ${vectors.length} embeddings for ${texts.length} inputs`);
    }
    size ??= vectors[0]?.length;
    const wrong = vectors.find((v) => v.length !== size);
    if (wrong) {
      throw new ProviderError('server_error', `${where} returned ${wrong.length}-dimensional vectors from ${name}, expected ${size}: set the embedding dimensions to match the model`);
    }
    return vectors;
  }

  return {
    name,
    ...(dimensions !== undefined ? { dimensions } : {}),
    key: embeddingKey(name, dimensions),
    async embed(texts, signal) {
      const batches: string[][] = [];
      for (let i = 0; i < texts.length; i += batchSize) batches.push(texts.slice(i, i + batchSize));
      const results = new Array<number[][]>(batches.length);
      let next = 0;
      let failed = false;
      // A small pool: enough to keep a remote API busy, not so many that a rate limit trips at once.
      // After one batch fails for good the others stop taking work: the whole call fails anyway.
      const worker = async () => {
        while (!failed && next < batches.length) {
          const i = next++;
          try {
            results[i] = await embedBatch(batches[i]!, signal);
          } catch (err) {
            failed = true;
            throw err;
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(concurrency, batches.length) }, worker));
      return results.flat();
    },
  };
}
