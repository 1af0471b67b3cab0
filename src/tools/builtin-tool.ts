import type { BlobStore } from '../blobs/blob-store.js';
import type { MessageContent, Run, StepCodeInterpreterToolCall, StepFileSearchToolCall } from '../domain/types.js';
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
 * to the model and lets `finishMessage` annotate the assistant's reply.
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
   * The assistant message's final content, given the content the engine built from the model's text and this
   * tool's finished calls since the run's previous message, in order: annotations (citations, `sandbox:` file
   * paths) and extra parts (chart images). The engine writes a message for a turn without text when this adds
   * parts to it. `firstOrdinal` is the run-wide ordinal (as in `replay`) of `calls[0]`.
   */
  finishMessage?(content: MessageContent[], calls: C[], firstOrdinal: number): Promise<MessageContent[]> | MessageContent[];
  /** Releases at once what the tool holds for a thread that was deleted (code_interpreter: its session). */
  forgetThread?(threadId: string): Promise<void>;
}

/** The built-in tools this server has, by type. A missing one fails any run that needs it, with a clear error. */
export type BuiltinTools = Partial<{ [K in BuiltinToolType]: BuiltinTool<Extract<BuiltinToolCall, { type: K }>> }>;
