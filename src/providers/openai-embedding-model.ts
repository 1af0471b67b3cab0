/**
 * Embeddings over an OpenAI-compatible `/embeddings` endpoint or an Azure deployment: inputs are sent in
 * batches, a few batches at a time, each retried like chat calls.
 */
import { AzureOpenAI, OpenAI } from 'openai';
import { ProviderError } from './chat-model.js';
import { DEFAULT_EMBEDDING_DIMENSIONS, DEFAULT_EMBEDDING_MODEL, type EmbeddingModel } from './embedding-model.js';
import { defaultRetryPolicy, withRetry, type RetryPolicy } from './retry.js';
import { classifyForRetry, toProviderError, type UpstreamTarget } from './upstream-error.js';
import { DEFAULT_AZURE_API_VERSION } from './azure.js';
import { clientOptions, defaultTimeouts } from './client-chat-model.js';

export interface OpenAIEmbeddingConfig {
  /** Upstream model name, or the Azure deployment. Default `text-embedding-3-large`. */
  model?: string;
  /** Vector size; default 256. */
  dimensions?: number;
  /** OpenAI-compatible server; ignored when `azure` is given. */
  baseURL?: string;
  apiKey?: string;
  azure?: { endpoint: string; apiKey: string; apiVersion?: string };
  /** Inputs per request (OpenAI accepts up to 2048; smaller batches fail and retry cheaper). Default 96. */
  batchSize?: number;
  /** Requests in flight at once. Default 4. */
  concurrency?: number;
  /** Send `dimensions` upstream. Default: only for text-embedding-3 models, which are the ones that accept it. */
  sendDimensions?: boolean;
  requestTimeoutMs?: number;
  retry?: RetryPolicy;
  setupHint?: string;
  keyHint?: string;
}

/** Creates an `EmbeddingModel` for OpenAI, Azure OpenAI or any compatible server. */
export function createOpenAIEmbeddingModel(cfg: OpenAIEmbeddingConfig): EmbeddingModel {
  const name = cfg.model ?? DEFAULT_EMBEDDING_MODEL;
  const dimensions = cfg.dimensions ?? DEFAULT_EMBEDDING_DIMENSIONS;
  const batchSize = cfg.batchSize ?? 96;
  const concurrency = cfg.concurrency ?? 4;
  const sendDimensions = cfg.sendDimensions ?? /^text-embedding-3/.test(name);
  const timeoutMs = cfg.requestTimeoutMs ?? defaultTimeouts.requestMs;
  const common = clientOptions({ ...defaultTimeouts, requestMs: timeoutMs });
  const client = cfg.azure
    ? new AzureOpenAI({ ...common, endpoint: cfg.azure.endpoint, apiKey: cfg.azure.apiKey, apiVersion: cfg.azure.apiVersion ?? DEFAULT_AZURE_API_VERSION, deployment: name, baseURL: null })
    : new OpenAI({ ...common, baseURL: cfg.baseURL ?? 'https://api.openai.com/v1', apiKey: cfg.apiKey || 'none' });
  const target: UpstreamTarget = {
    url: cfg.azure?.endpoint ?? client.baseURL,
    model: name,
    setupHint: cfg.setupHint ?? 'set the embedding model in the config file',
    keyHint: cfg.keyHint ?? (cfg.azure ? 'set AZURE_OPENAI_API_KEY' : 'set OPENAI_API_KEY'),
  };

  async function embedBatch(texts: string[], signal?: AbortSignal): Promise<number[][]> {
    const response = await withRetry(
      () =>
        client.embeddings.create(
          {
            model: name,
            // OpenAI rejects empty strings; a space embeds as "nothing" just as well.
            input: texts.map((t) => (t.trim() === '' ? ' ' : t)),
            encoding_format: 'float',
            ...(sendDimensions ? { dimensions } : {}),
          },
          { signal: signal ?? null, timeout: timeoutMs, maxRetries: 0 },
        ),
      classifyForRetry,
      cfg.retry ?? defaultRetryPolicy,
      signal,
    ).catch((err: unknown) => {
      if (signal?.aborted) throw signal.reason;
      throw toProviderError(err, target, timeoutMs);
    });
    const vectors = [...response.data].sort((a, b) => a.index - b.index).map((d) => d.embedding);
    if (vectors.length !== texts.length) {
      throw new ProviderError('server_error', `${target.url} returned ${vectors.length} embeddings for ${texts.length} inputs`);
    }
    const wrong = vectors.find((v) => v.length !== dimensions);
    if (wrong) {
      throw new ProviderError('server_error', `${target.url} returned ${wrong.length}-dimensional vectors from ${name}, expected ${dimensions}: set the embedding dimensions to match the model`);
    }
    return vectors;
  }

  return {
    name,
    dimensions,
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
