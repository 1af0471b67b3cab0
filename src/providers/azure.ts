/**
 * Azure OpenAI chat models. The run's model name is the deployment name: requests go to
 * `{endpoint}/openai/deployments/{deployment}/chat/completions?api-version=…` with an `api-key` header.
 */
import type { ChatModel } from './chat-model.js';
import { USER_AGENT } from './chat-stream-http.js';
import { createAdapterModel, type AdapterSettings } from './client-chat-model.js';

/** A GA api-version that supports tools, vision, json_schema and `stream_options`. */
export const DEFAULT_AZURE_API_VERSION = '2024-10-21';

/** How to reach one Azure OpenAI deployment. */
export interface AzureOpenAIConfig extends AdapterSettings {
  /** e.g. `https://my-resource.openai.azure.com`. */
  endpoint: string;
  apiKey: string;
  /** Defaults to `name`. */
  deployment?: string;
  apiVersion?: string;
}

/** Creates a streaming chat model for an Azure OpenAI deployment. */
export function createAzureOpenAIModel(cfg: AzureOpenAIConfig): ChatModel {
  const deployment = cfg.deployment ?? cfg.name;
  const url = new URL(`${cfg.endpoint.replace(/\/+$/, '')}/openai/deployments/${encodeURIComponent(deployment)}/chat/completions`);
  url.searchParams.set('api-version', cfg.apiVersion ?? DEFAULT_AZURE_API_VERSION);
  // Deployment names are free-form; they often carry the model name, so the catalog is asked for both.
  return createAdapterModel(cfg, {
    endpoint: { url, headers: { 'api-key': cfg.apiKey, 'user-agent': USER_AGENT } },
    provider: 'azure',
    url: cfg.endpoint,
    upstreamModel: deployment,
    setupHint: 'check AZURE_OPENAI_ENDPOINT and that the deployment exists',
    keyHint: 'set AZURE_OPENAI_API_KEY',
  });
}
