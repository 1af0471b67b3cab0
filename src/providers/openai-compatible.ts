/**
 * OpenAI-compatible chat models: OpenAI itself, Ollama, vLLM, llama.cpp server, LM Studio — anything that
 * serves `POST {baseURL}/chat/completions` with SSE streaming.
 */
import type { ChatModel } from './chat-model.js';
import { USER_AGENT } from './chat-stream-http.js';
import { createAdapterModel, type AdapterSettings } from './client-chat-model.js';

/** Where and how to reach an OpenAI-compatible server for one model name. */
export interface OpenAICompatibleConfig extends AdapterSettings {
  /** e.g. `https://api.openai.com/v1` or `http://127.0.0.1:11434/v1`. */
  baseURL: string;
  /** Local servers accept anything; the client needs a non-empty value. */
  apiKey?: string;
  /** Name sent upstream when it differs from `name` (a route from `gpt-4o` to `llama3.1`). */
  upstreamModel?: string;
  /** Provider label for `info.provider`; defaults to 'openai-compatible'. */
  provider?: string;
}

/** Creates a streaming chat model for an OpenAI-compatible server. */
export function createOpenAICompatibleModel(cfg: OpenAICompatibleConfig): ChatModel {
  return createAdapterModel(cfg, {
    endpoint: {
      url: new URL(`${cfg.baseURL.replace(/\/+$/, '')}/chat/completions`),
      // Local servers accept any key; some reject a request without one.
      headers: { authorization: `Bearer ${cfg.apiKey || 'none'}`, 'user-agent': USER_AGENT },
    },
    provider: cfg.provider ?? 'openai-compatible',
    url: cfg.baseURL,
    upstreamModel: cfg.upstreamModel ?? cfg.name,
    setupHint: 'set OPENAI_BASE_URL or add a models: entry to the config file',
    keyHint: 'set OPENAI_API_KEY or the api_key of the models: entry',
  });
}
