import { checkFunctionDefinition } from './function-schema';

// Responses mode has no saved object like an assistant: its settings go with each request, and this browser keeps
// them in local storage so a reload finds them as they were.
const STORAGE_KEY = 'assistd.playground.responses';

export interface ResponseSettings {
  model: string;
  instructions: string;
  /** Function definitions as the JSON text being edited. */
  functions: string[];
  fileSearch: boolean;
  vectorStoreIds: string[];
  codeInterpreter: boolean;
}

export const DEFAULT_SETTINGS: ResponseSettings = { model: '', instructions: '', functions: [], fileSearch: false, vectorStoreIds: [], codeInterpreter: false };

export function loadSettings(): ResponseSettings {
  try {
    const saved = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? '{}') as Partial<ResponseSettings>;
    return { ...DEFAULT_SETTINGS, ...saved };
  } catch {
    return DEFAULT_SETTINGS;
  }
}

export function saveSettings(settings: ResponseSettings): void {
  localStorage.setItem(STORAGE_KEY, JSON.stringify(settings));
}

export type RequestParams = { ok: true; params: Record<string, unknown> } | { ok: false; error: string };

/**
 * The create parameters the settings stand for (besides `input` and `conversation`): model, instructions, tools
 * in the Responses spelling (flat function tools) and the `include`s that make tool results visible.
 */
export function requestParams(s: ResponseSettings): RequestParams {
  if (!s.model.trim()) return { ok: false, error: 'Choose a model.' };
  const tools: Array<Record<string, unknown>> = [];
  for (const [i, text] of s.functions.entries()) {
    const checked = checkFunctionDefinition(text);
    if (!checked.ok) return { ok: false, error: `Function ${i + 1}: ${checked.error}` };
    tools.push({ type: 'function', ...checked.value });
  }
  const include: string[] = [];
  if (s.fileSearch) {
    if (s.vectorStoreIds.length === 0) return { ok: false, error: 'File search: pick at least one vector store.' };
    tools.push({ type: 'file_search', vector_store_ids: s.vectorStoreIds });
    include.push('file_search_call.results');
  }
  if (s.codeInterpreter) {
    tools.push({ type: 'code_interpreter', container: { type: 'auto' } });
    include.push('code_interpreter_call.outputs');
  }
  const params: Record<string, unknown> = { model: s.model.trim() };
  if (s.instructions.trim()) params.instructions = s.instructions;
  if (tools.length) params.tools = tools;
  if (include.length) params.include = include;
  return { ok: true, params };
}
