import { z } from 'zod';
import type { RunStep, StepFileSearchToolCall, StepToolCall } from '../domain/types.js';
import type { RunEventRecord } from '../store/run-events-repo.js';

/** The one `include[]` value the hosted API accepted on runs and steps. */
export const FILE_SEARCH_CONTENT = 'step_details.tool_calls[*].file_search.results[*].content';

/** `include[]` as the SDK sends it (brackets), or plain `include`. */
export const includeQuery = z.object({
  'include[]': z.union([z.literal(FILE_SEARCH_CONTENT), z.array(z.literal(FILE_SEARCH_CONTENT))]).optional(),
  include: z.union([z.literal(FILE_SEARCH_CONTENT), z.array(z.literal(FILE_SEARCH_CONTENT))]).optional(),
});

export function includes(query: z.infer<typeof includeQuery>): boolean {
  return query['include[]'] !== undefined || query.include !== undefined;
}

/** A file_search call as the client sees it: without the fields kept for replay, results' content on request. */
function fileSearchView(call: StepToolCall, withContent: boolean): StepToolCall {
  if (call.type !== 'file_search') return call;
  const { queries: _queries, note: _note, ...wire } = call.file_search as StepFileSearchToolCall['file_search'] & { queries?: unknown; note?: unknown };
  const results = wire.results && !withContent ? wire.results.map(({ content: _content, ...r }) => r) : wire.results;
  return { ...call, file_search: { ...wire, ...(results ? { results } : {}) } };
}

/** A step as the client sees it (see fileSearchView). */
export function stepView(step: RunStep, withContent: boolean): RunStep {
  if (step.step_details.type !== 'tool_calls' || !step.step_details.tool_calls.some((c) => c.type === 'file_search')) return step;
  const tool_calls = step.step_details.tool_calls.map((c) => fileSearchView(c, withContent));
  return { ...step, step_details: { type: 'tool_calls', tool_calls } };
}

/** Rewrites stored stream events for a client: step payloads and step deltas through the same views. */
export function eventView(withContent: boolean): (record: RunEventRecord) => string {
  return (record) => {
    if (!record.event.startsWith('thread.run.step.') || !record.data.includes('"file_search"')) return record.data;
    if (record.event !== 'thread.run.step.delta') return JSON.stringify(stepView(JSON.parse(record.data) as RunStep, withContent));
    const delta = JSON.parse(record.data) as { delta: { step_details?: { tool_calls?: StepToolCall[] } } };
    const calls = delta.delta.step_details?.tool_calls;
    if (calls) delta.delta.step_details!.tool_calls = calls.map((c) => fileSearchView(c, withContent));
    return JSON.stringify(delta);
  };
}
