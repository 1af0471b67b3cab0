import type { Message, MessageContent, Run, RunStep, StepToolCall } from '../../../src/domain/types';
import { upsert } from './upsert';

/** What the chat and the run panel show of one thread: its messages in order, its runs and their steps. */
export interface ThreadView {
  threadId: string | null;
  messages: Message[];
  runs: Run[];
  steps: Record<string, RunStep[]>;
  /** The last `error` event of a stream, shown until the next run starts. */
  streamError: string | null;
}

export const emptyThreadView = (threadId: string | null = null): ThreadView => ({ threadId, messages: [], runs: [], steps: {}, streamError: null });

interface ContentDelta {
  index: number;
  type: MessageContent['type'];
  text?: { value?: string; annotations?: Array<{ index: number } & Record<string, unknown>> };
  image_file?: { file_id: string };
}

/** Appends a `thread.message.delta` to the message's content parts (text grows, annotations arrive by index). */
function applyMessageDelta(message: Message, deltas: ContentDelta[]): Message {
  const content = message.content.slice();
  for (const delta of deltas) {
    const current = content[delta.index];
    if (delta.type === 'text') {
      const text = current?.type === 'text' ? current.text : { value: '', annotations: [] };
      const annotations = text.annotations.slice();
      for (const { index, ...annotation } of delta.text?.annotations ?? []) annotations[index] = annotation as never;
      content[delta.index] = { type: 'text', text: { value: text.value + (delta.text?.value ?? ''), annotations } };
    } else if (delta.type === 'image_file' && delta.image_file) {
      content[delta.index] = { type: 'image_file', image_file: delta.image_file };
    }
  }
  return { ...message, content };
}

type CallDelta = { index: number; id?: string; type: StepToolCall['type'] } & Record<string, any>;

/** Merges one streamed tool call into what the step has so far (strings grow, outputs arrive by index). */
function mergeCall(current: StepToolCall | undefined, delta: CallDelta): StepToolCall {
  const id = delta.id ?? current?.id ?? '';
  if (delta.type === 'code_interpreter') {
    const base = current?.type === 'code_interpreter' ? current.code_interpreter : { input: '', outputs: [] };
    const outputs = base.outputs.slice();
    for (const { index, ...output } of delta.code_interpreter?.outputs ?? []) outputs[index] = output;
    return { id, type: 'code_interpreter', code_interpreter: { input: base.input + (delta.code_interpreter?.input ?? ''), outputs } };
  }
  if (delta.type === 'function') {
    const base = current?.type === 'function' ? current.function : { name: '', arguments: '', output: null };
    const fn = delta.function ?? {};
    return { id, type: 'function', function: { name: fn.name ?? base.name, arguments: base.arguments + (fn.arguments ?? ''), output: fn.output ?? base.output } };
  }
  const base = current?.type === 'file_search' ? current.file_search : {};
  return { id, type: 'file_search', file_search: { ...base, ...(delta.file_search ?? {}) } };
}

function applyStepDelta(step: RunStep, calls: CallDelta[]): RunStep {
  if (step.step_details.type !== 'tool_calls') return step;
  const toolCalls = step.step_details.tool_calls.slice();
  for (const delta of calls) toolCalls[delta.index] = mergeCall(toolCalls[delta.index], delta);
  return { ...step, step_details: { type: 'tool_calls', tool_calls: toolCalls } };
}

function errorText(data: unknown): string {
  const body = data as { message?: string; error?: { message?: string } } | null;
  return body?.error?.message ?? body?.message ?? 'The stream reported an error.';
}

/** Folds one event of a run stream into the view. Unknown events leave it unchanged. */
export function applyRunEvent(view: ThreadView, event: string, data: any): ThreadView {
  if (event === 'error') return { ...view, streamError: errorText(data) };
  if (event.startsWith('thread.run.step.')) {
    const runId: string | undefined = data.run_id;
    if (event === 'thread.run.step.delta') {
      for (const [id, steps] of Object.entries(view.steps)) {
        const step = steps.find((s) => s.id === data.id);
        const calls = data.delta?.step_details?.tool_calls;
        if (step && calls) return { ...view, steps: { ...view.steps, [id]: upsert(steps, applyStepDelta(step, calls)) } };
      }
      return view;
    }
    if (!runId) return view;
    return { ...view, steps: { ...view.steps, [runId]: upsert(view.steps[runId] ?? [], data as RunStep) } };
  }
  if (event.startsWith('thread.run.')) {
    const run = data as Run;
    return { ...view, threadId: view.threadId ?? run.thread_id, runs: upsert(view.runs, run) };
  }
  if (event === 'thread.message.delta') {
    const message = view.messages.find((m) => m.id === data.id);
    return message ? { ...view, messages: upsert(view.messages, applyMessageDelta(message, data.delta?.content ?? [])) } : view;
  }
  if (event.startsWith('thread.message.')) return { ...view, messages: upsert(view.messages, data as Message) };
  if (event === 'thread.created') return { ...view, threadId: data.id };
  return view;
}
