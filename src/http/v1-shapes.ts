import { isTerminal } from '../domain/run-status.js';
import type { Annotation, Assistant, AssistantTool, Message, MessageContent, Run, RunStep, StepToolCall, Thread } from '../domain/types.js';
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

/** A citation as each generation showed it: v1 quoted the cited passage, v2 only names the file. */
export function annotationView<A extends Pick<Annotation, 'type'>>(a: A, shape: ApiShape): A {
  if (a.type !== 'file_citation') return a;
  const { quote, ...citation } = (a as unknown as { file_citation: { file_id?: string; quote?: string } }).file_citation;
  return { ...a, file_citation: shape === 'v1' ? { ...citation, quote: quote ?? '' } : citation };
}

function contentView(content: MessageContent[], shape: ApiShape): MessageContent[] {
  return content.map((part) => (part.type === 'text' && part.text.annotations.length > 0 ? { ...part, text: { ...part.text, annotations: part.text.annotations.map((a) => annotationView(a, shape)) } } : part));
}

/** v2 messages have `attachments` (never null: an empty list), v1 ones `file_ids`. */
export function messageView(m: Message, shape: ApiShape) {
  const { attachments, ...rest } = m;
  const content = contentView(m.content, shape);
  if (shape === 'v2') return { ...rest, content, attachments: attachments ?? [] };
  return { ...rest, content, file_ids: (attachments ?? []).map((a) => a.file_id) };
}

export function threadView(t: Thread, shape: ApiShape) {
  if (shape === 'v2') return t;
  const { tool_resources: _r, ...rest } = t;
  return rest;
}

/** The files a v1 run shows: its assistant's (v1 assistants' `file_ids`). */
export function v1FileIds(a: Assistant | undefined): string[] {
  return a?.tool_resources?.code_interpreter?.file_ids ?? [];
}

/**
 * A run as each generation showed it: `usage` only once the run is terminal (the engine adds it up as it goes);
 * v1 runs had `file_ids` (`fileIds`, its assistant's) and the `retrieval` tool, and none of the v2 budget and
 * choice fields.
 */
export function runView(r: Run, shape: ApiShape, fileIds: string[] = []) {
  const run = isTerminal(r.status) || r.usage === null ? r : { ...r, usage: null };
  if (shape === 'v2') return run;
  const { max_prompt_tokens: _a, max_completion_tokens: _b, truncation_strategy: _c, response_format: _d, tool_choice: _e, parallel_tool_calls: _f, incomplete_details: _g, ...rest } = run;
  return { ...rest, tools: v1Tools(r.tools), file_ids: fileIds };
}

/** A v1 step's call: file search was `retrieval`, with an empty object for details. Works on call deltas too. */
export function v1CallView<C extends Pick<StepToolCall, 'type'> & { id?: string; index?: number }>(c: C) {
  if (c.type !== 'file_search') return c;
  return { ...(c.index === undefined ? {} : { index: c.index }), ...(c.id === undefined ? {} : { id: c.id }), type: 'retrieval' as const, retrieval: {} };
}

/** v1 steps called file search `retrieval`, with an empty object for details. */
export function v1StepView(s: RunStep, shape: ApiShape) {
  if (shape === 'v2' || s.step_details.type !== 'tool_calls') return s;
  const tool_calls = s.step_details.tool_calls.map(v1CallView);
  return { ...s, step_details: { type: 'tool_calls' as const, tool_calls } };
}
