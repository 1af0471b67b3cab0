import type { Assistant, AssistantTool, Message, Thread } from '../domain/types.js';
import type { ApiShape } from './api-version.js';

// Stored objects are v2; these mappers give v1 clients the shapes they were written against.

function v1Tools(tools: AssistantTool[]) {
  return tools.map((t) => (t.type === 'file_search' ? { type: 'retrieval' as const } : t));
}

export function assistantView(a: Assistant, shape: ApiShape) {
  if (shape === 'v2') return a;
  const { tool_resources, temperature: _t, top_p: _p, response_format: _r, ...rest } = a;
  return { ...rest, tools: v1Tools(a.tools), file_ids: tool_resources?.code_interpreter?.file_ids ?? [] };
}

export function messageView(m: Message, shape: ApiShape) {
  if (shape === 'v2') return m;
  const { attachments, ...rest } = m;
  return { ...rest, file_ids: (attachments ?? []).map((a) => a.file_id) };
}

export function threadView(t: Thread, shape: ApiShape) {
  if (shape === 'v2') return t;
  const { tool_resources: _r, ...rest } = t;
  return rest;
}
