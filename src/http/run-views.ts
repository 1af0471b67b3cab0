import { z } from 'zod';
import type { RunStep } from '../domain/types.js';
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

/** A step as the client sees it: file_search result content only when it asked for it. */
export function stepView(step: RunStep, withContent: boolean): RunStep {
  if (withContent || step.step_details.type !== 'tool_calls') return step;
  if (!step.step_details.tool_calls.some((c) => c.type === 'file_search' && c.file_search.results)) return step;
  const tool_calls = step.step_details.tool_calls.map((c) =>
    c.type === 'file_search' && c.file_search.results
      ? { ...c, file_search: { ...c.file_search, results: c.file_search.results.map(({ content: _content, ...r }) => r) } }
      : c,
  );
  return { ...step, step_details: { type: 'tool_calls', tool_calls } };
}

/** Rewrites stored stream events for a client: step payloads through `stepView`. */
export function eventView(withContent: boolean): (record: RunEventRecord) => string {
  return (record) => {
    if (withContent || !record.event.startsWith('thread.run.step.') || record.event === 'thread.run.step.delta') return record.data;
    if (!record.data.includes('"file_search"')) return record.data;
    return JSON.stringify(stepView(JSON.parse(record.data) as RunStep, false));
  };
}
