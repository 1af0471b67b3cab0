import type { Assistant, AssistantTool, ResponseFormat } from '../../../src/domain/types';
import { checkFunctionDefinition } from './function-schema';

/** The assistant form's state: plain fields and the function definitions as the JSON text being edited. */
export interface AssistantDraft {
  id: string | null;
  name: string;
  instructions: string;
  model: string;
  codeInterpreter: boolean;
  fileSearch: boolean;
  /** The file_search tool's own options, kept as they were. */
  fileSearchOptions: Extract<AssistantTool, { type: 'file_search' }>['file_search'];
  functions: string[];
  codeFileIds: string[];
  vectorStoreId: string | null;
  temperature: number;
  topP: number;
  responseFormat: 'auto' | 'text' | 'json_object' | 'json_schema';
  jsonSchema: string;
}

export const DEFAULT_MODEL = 'scripted';

export function newDraft(model = DEFAULT_MODEL): AssistantDraft {
  return {
    id: null, name: '', instructions: '', model, codeInterpreter: false, fileSearch: false, fileSearchOptions: undefined,
    functions: [], codeFileIds: [], vectorStoreId: null, temperature: 1, topP: 1, responseFormat: 'auto', jsonSchema: '',
  };
}

export function draftFromAssistant(a: Assistant): AssistantDraft {
  const format = a.response_format ?? 'auto';
  const fileSearch = a.tools.find((t) => t.type === 'file_search');
  return {
    id: a.id,
    name: a.name ?? '',
    instructions: a.instructions ?? '',
    model: a.model,
    codeInterpreter: a.tools.some((t) => t.type === 'code_interpreter'),
    fileSearch: Boolean(fileSearch),
    fileSearchOptions: fileSearch?.type === 'file_search' ? fileSearch.file_search : undefined,
    functions: a.tools.flatMap((t) => (t.type === 'function' ? [JSON.stringify(t.function, null, 2)] : [])),
    codeFileIds: a.tool_resources?.code_interpreter?.file_ids ?? [],
    vectorStoreId: a.tool_resources?.file_search?.vector_store_ids?.[0] ?? null,
    temperature: a.temperature ?? 1,
    topP: a.top_p ?? 1,
    responseFormat: format === 'auto' ? 'auto' : format.type,
    jsonSchema: format !== 'auto' && format.type === 'json_schema' ? JSON.stringify(format.json_schema, null, 2) : '',
  };
}

function responseFormat(d: AssistantDraft): ResponseFormat | string {
  if (d.responseFormat === 'auto') return 'auto';
  if (d.responseFormat !== 'json_schema') return { type: d.responseFormat };
  try {
    const schema = JSON.parse(d.jsonSchema) as { name?: unknown };
    if (typeof schema !== 'object' || schema === null || typeof schema.name !== 'string') return 'The JSON schema needs a "name" and a "schema".';
    return { type: 'json_schema', json_schema: schema as never };
  } catch (err) {
    return `The response format's JSON schema is not valid JSON: ${(err as Error).message}`;
  }
}

export type DraftBody = { ok: true; body: Record<string, unknown> } | { ok: false; error: string };

/** The create/modify request body of a draft, or the first thing wrong with it. */
export function draftToBody(d: AssistantDraft): DraftBody {
  if (!d.model.trim()) return { ok: false, error: 'A model is required.' };
  const tools: AssistantTool[] = [];
  if (d.codeInterpreter) tools.push({ type: 'code_interpreter' });
  if (d.fileSearch) tools.push(d.fileSearchOptions ? { type: 'file_search', file_search: d.fileSearchOptions } : { type: 'file_search' });
  for (const [i, text] of d.functions.entries()) {
    const checked = checkFunctionDefinition(text);
    if (!checked.ok) return { ok: false, error: `Function ${i + 1}: ${checked.error}` };
    tools.push({ type: 'function', function: checked.value });
  }
  const format = responseFormat(d);
  if (typeof format === 'string' && format !== 'auto') return { ok: false, error: format };
  return {
    ok: true,
    body: {
      name: d.name.trim() || null,
      instructions: d.instructions || null,
      model: d.model.trim(),
      tools,
      tool_resources: {
        code_interpreter: { file_ids: d.codeFileIds },
        file_search: { vector_store_ids: d.vectorStoreId ? [d.vectorStoreId] : [] },
      },
      temperature: d.temperature,
      top_p: d.topP,
      response_format: format,
    },
  };
}
