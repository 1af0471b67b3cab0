/**
 * What we know about common model names without asking the upstream: context window and vision. The engine
 * truncates prompts to the context window, so an unknown model gets a conservative 8192; a `models:` entry
 * can say better.
 */

export interface KnownModel {
  contextWindow: number;
  supportsVision: boolean;
}

export const DEFAULT_CONTEXT_WINDOW = 8192;

// Longest prefix wins, so 'gpt-4o' is not taken for 'gpt-4', nor 'gpt-4-32k' for 'gpt-4'.
// Azure spells gpt-3.5 as gpt-35; both are listed.
const KNOWN: Array<[string, KnownModel]> = [
  ['gpt-5', { contextWindow: 400_000, supportsVision: true }],
  ['gpt-4.1', { contextWindow: 1_047_576, supportsVision: true }],
  ['gpt-4.5', { contextWindow: 128_000, supportsVision: true }],
  ['gpt-4o', { contextWindow: 128_000, supportsVision: true }],
  ['chatgpt-4o', { contextWindow: 128_000, supportsVision: true }],
  ['gpt-4-turbo', { contextWindow: 128_000, supportsVision: true }],
  ['gpt-4-1106', { contextWindow: 128_000, supportsVision: false }],
  ['gpt-4-0125', { contextWindow: 128_000, supportsVision: false }],
  ['gpt-4-vision', { contextWindow: 128_000, supportsVision: true }],
  ['gpt-4-32k', { contextWindow: 32_768, supportsVision: false }],
  ['gpt-4', { contextWindow: 8_192, supportsVision: false }],
  ['gpt-3.5-turbo-instruct', { contextWindow: 4_096, supportsVision: false }],
  ['gpt-3.5-turbo', { contextWindow: 16_385, supportsVision: false }],
  ['gpt-35-turbo', { contextWindow: 16_385, supportsVision: false }],
  ['o1-mini', { contextWindow: 128_000, supportsVision: false }],
  ['o1', { contextWindow: 200_000, supportsVision: true }],
  ['o3-mini', { contextWindow: 200_000, supportsVision: false }],
  ['o3', { contextWindow: 200_000, supportsVision: true }],
  ['o4-mini', { contextWindow: 200_000, supportsVision: true }],
  ['gpt-oss', { contextWindow: 131_072, supportsVision: false }],
  ['llama3.2-vision', { contextWindow: 131_072, supportsVision: true }],
  ['llama3.1', { contextWindow: 131_072, supportsVision: false }],
  ['llama3.2', { contextWindow: 131_072, supportsVision: false }],
  ['llama3.3', { contextWindow: 131_072, supportsVision: false }],
  ['llama3', { contextWindow: 8_192, supportsVision: false }],
  ['qwen2.5', { contextWindow: 32_768, supportsVision: false }],
  ['qwen3', { contextWindow: 40_960, supportsVision: false }],
  ['mistral-nemo', { contextWindow: 128_000, supportsVision: false }],
  ['mistral', { contextWindow: 32_768, supportsVision: false }],
  ['gemma3', { contextWindow: 131_072, supportsVision: true }],
  ['llava', { contextWindow: 4_096, supportsVision: true }],
];
const PREFIXES = [...KNOWN].sort((a, b) => b[0].length - a[0].length);

/**
 * Looks a model name up by prefix, ignoring case and a provider prefix such as `openai/` or an Ollama tag
 * such as `:8b`. Returns undefined for names we do not know.
 */
export function lookupModel(name: string): KnownModel | undefined {
  const bare = name.toLowerCase().replace(/^.*\//, '');
  for (const [prefix, known] of PREFIXES) {
    if (bare.startsWith(prefix)) return known;
  }
  return undefined;
}

/** Context window for a model name: known value, else the conservative default. */
export function contextWindowFor(name: string): number {
  return lookupModel(name)?.contextWindow ?? DEFAULT_CONTEXT_WINDOW;
}
