import type { BlobStore } from '../blobs/blob-store.js';
import type { Annotation, MessageContent, Run, StepCodeInterpreterToolCall, StepFileSearchToolCall } from '../domain/types.js';
import type { ChatModelInfo, ChatTool } from '../providers/chat-model.js';
import type { Store } from '../store/store.js';

/** A built-in tool's call as recorded in a `tool_calls` run step. */
export type BuiltinToolCall = StepCodeInterpreterToolCall | StepFileSearchToolCall;
export type BuiltinToolType = BuiltinToolCall['type'];

/** What a built-in tool may use while a run is executing. */
export interface ToolContext {
  project: string;
  run: Run;
  store: Store;
  blobs: BlobStore;
  /** The model the run talks to, for budgeting what the tool returns. */
  model: ChatModelInfo;
  /** Aborts when the run is cancelled or the worker stops. */
  signal: AbortSignal;
}

/** One call of a built-in tool, as the model made it (arguments is the model's JSON string). */
export interface ToolInvocation {
  id: string;
  arguments: string;
}

/**
 * A tool the server executes itself (code_interpreter, file_search). It is offered to the model as a function
 * whose name is the tool type; the engine records each call in a `tool_calls` step, feeds `outputForModel` back
 * to the model and lets `messageTouches` annotate the assistant's reply.
 */
export interface BuiltinTool<C extends BuiltinToolCall = BuiltinToolCall> {
  type: C['type'];
  /** The function offered to the model for this run (its name must be `type`). */
  definition(ctx: ToolContext): Promise<ChatTool>;
  /** Why this tool cannot run on this server (what to install or configure), or undefined when it can. */
  unavailable(): string | undefined;
  /**
   * Executes one call. `progress` streams partial results (merged into the step's call as
   * `thread.run.step.delta` events). Expected failures (bad code, nothing found) are part of the returned call,
   * never a throw; a throw fails the run with `server_error`.
   */
  execute(call: ToolInvocation, ctx: ToolContext, progress: (partial: Partial<C>) => void): Promise<C>;
  /**
   * How a finished call is shown to the model on later calls of the run: the function arguments it made and the
   * tool message it got back. `ordinal` is this call's index among the run's calls of this tool.
   */
  replay(call: C, ordinal: number): { arguments: string; output: string };
  /**
   * What this tool's finished calls since the run's previous message add to the next assistant message: extra
   * parts (chart images) and annotations of its text (citations, `sandbox:` file paths). The engine writes a
   * message for a turn without text when this adds parts. `firstOrdinal` is the run-wide ordinal (as in
   * `replay`) of `calls[0]`.
   */
  messageTouches?(calls: C[], firstOrdinal: number): MessageTouches;
  /** Releases at once what the tool holds for a thread that was deleted (code_interpreter: its session). */
  forgetThread?(project: string, threadId: string): Promise<void>;
}

/**
 * A tool's touches to an assistant message. `annotate` and `openFrom` read only the text they are given, and
 * no annotated span crosses a cut at `openFrom`: a text that continues after `text.slice(0, openFrom(text))` is
 * annotated as that slice and the rest, each on its own (indexes shifted). So the engine streams each
 * annotation with the delta that completes its text, looking only at what it has not sent yet, and the
 * streamed message equals the stored one.
 */
export interface MessageTouches {
  /** Parts shown before the text (chart images), in order. */
  parts: MessageContent[];
  /** The text's annotations, in text order (indexes in code points). */
  annotate(text: string): Annotation[];
  /** Where the end of a partial text may still be the start of an annotated span (an open marker or link); `text.length` when nowhere. */
  openFrom(text: string): number;
}

/** The built-in tools this server has, by type. A missing one fails any run that needs it, with a clear error. */
export type BuiltinTools = Partial<{ [K in BuiltinToolType]: BuiltinTool<Extract<BuiltinToolCall, { type: K }>> }>;
