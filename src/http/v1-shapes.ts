import type { Assistant, AssistantTool, Message, Run, RunStep, Thread } from '../domain/types.js';
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

/** v1 runs had `file_ids` and the `retrieval` tool, and none of the v2 budget and choice fields. */
export function runView(r: Run, shape: ApiShape) {
  if (shape === 'v2') return r;
  const { max_prompt_tokens: _a, max_completion_tokens: _b, truncation_strategy: _c, response_format: _d, tool_choice: _e, parallel_tool_calls: _f, incomplete_details: _g, ...rest } = r;
  return { ...rest, tools: v1Tools(r.tools), file_ids: [] as string[] };
}

/** v1 steps called file search `retrieval`, with an empty object for details. */
export function v1StepView(s: RunStep, shape: ApiShape) {
  if (shape === 'v2' || s.step_details.type !== 'tool_calls') return s;
  const tool_calls = s.step_details.tool_calls.map((c) => (c.type === 'file_search' ? { id: c.id, type: 'retrieval' as const, retrieval: {} } : c));
  return { ...s, step_details: { type: 'tool_calls' as const, tool_calls } };
}
