import { z } from 'zod';
import type { Annotation, Message, Run, RunStep, StepFileSearchToolCall, StepToolCall, Thread } from '../domain/types.js';
import type { RunEventRecord } from '../store/run-events-repo.js';
import type { ApiShape } from './api-version.js';
import { annotationView, messageView, runView, threadView, v1CallView, v1StepView } from './v1-shapes.js';

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

/** A step as the client sees it (see fileSearchView); `usage` once the step is no longer in progress. */
export function stepView(step: RunStep, withContent: boolean): RunStep {
  const shown = step.status === 'in_progress' && step.usage !== null ? { ...step, usage: null } : step;
  if (shown.step_details.type !== 'tool_calls' || !shown.step_details.tool_calls.some((c) => c.type === 'file_search')) return shown;
  const tool_calls = shown.step_details.tool_calls.map((c) => fileSearchView(c, withContent));
  return { ...shown, step_details: { type: 'tool_calls', tool_calls } };
}

const TERMINAL_RUN_EVENTS = new Set(['thread.run.completed', 'thread.run.incomplete', 'thread.run.failed', 'thread.run.cancelled', 'thread.run.expired']);

/** How a stream's events are shown to its client. */
export interface EventViewOptions {
  withContent: boolean;
  shape: ApiShape;
  /** A v1 run's `file_ids` (its assistant's). */
  fileIds?: string[];
}

type MessageDelta = { delta: { content?: Array<{ type: string; text?: { annotations?: Array<Pick<Annotation, 'type'>> } }> } };
type StepDelta = { delta: { step_details?: { tool_calls?: StepToolCall[] } } };

/**
 * Rewrites stored stream events for a client through the same views as the polled objects: steps (include[],
 * usage), runs (usage, v1), messages (citations, attachments, v1) and the deltas of each. Only events whose view
 * can differ from the stored JSON are parsed.
 */
export function eventView({ withContent, shape, fileIds }: EventViewOptions): (record: RunEventRecord) => string {
  const v1 = shape === 'v1';
  return ({ event, data }) => {
    if (event === 'thread.message.delta') {
      if (!data.includes('"file_citation"')) return data;
      const delta = JSON.parse(data) as MessageDelta;
      for (const part of delta.delta.content ?? []) if (part.text?.annotations) part.text.annotations = part.text.annotations.map((a) => annotationView(a, shape));
      return JSON.stringify(delta);
    }
    if (event === 'thread.run.step.delta') {
      if (!data.includes('"file_search"')) return data;
      const delta = JSON.parse(data) as StepDelta;
      const calls = delta.delta.step_details?.tool_calls;
      if (calls) delta.delta.step_details!.tool_calls = calls.map((c) => fileSearchView(c, withContent)).map((c) => (v1 ? (v1CallView(c) as StepToolCall) : c));
      return JSON.stringify(delta);
    }
    if (event.startsWith('thread.run.step.')) {
      // Step events are logged without usage while in progress: a v2 step needs a view only for file_search.
      if (!v1 && !data.includes('"file_search"')) return data;
      return JSON.stringify(v1StepView(stepView(JSON.parse(data) as RunStep, withContent), shape));
    }
    if (event.startsWith('thread.run.')) {
      // A v2 run needs a view only to hide the usage of a run still going.
      if (!v1 && (TERMINAL_RUN_EVENTS.has(event) || data.includes('"usage":null'))) return data;
      return JSON.stringify(runView(JSON.parse(data) as Run, shape, fileIds));
    }
    if (event.startsWith('thread.message.')) {
      // A v2 message needs a view only to drop a citation's quote or a null attachments (whole replies: skip the parse).
      if (!v1 && !data.includes('"quote"') && !data.includes('"attachments":null')) return data;
      return JSON.stringify(messageView(JSON.parse(data) as Message, shape));
    }
    if (event === 'thread.created' && v1) return JSON.stringify(threadView(JSON.parse(data) as Thread, shape));
    return data;
  };
}
