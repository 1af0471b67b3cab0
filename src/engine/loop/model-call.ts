import type { ChatModel, ChatRequest, ChatUsage } from '../../providers/chat-model.js';
import { ChatTurnBuilder, type ChatTurn } from '../../providers/collect-chat.js';

/** A delta of a call to one of the client's functions; `name` and `id` come with its first delta. */
export interface FunctionCallDelta {
  index: number;
  arguments: string;
  name?: string;
  id?: string;
}

/**
 * What a front end does with one model call as it streams: runs write messages and run steps, responses write
 * output items. Calls of built-in tools are not passed on as function calls: the engine runs them once the
 * turn is complete. A sink may be async; the stream waits for it, so what it writes stays in order.
 */
export interface ModelCallSink {
  text(delta: string): void | Promise<void>;
  functionCall(delta: FunctionCallDelta): void | Promise<void>;
  /** Every tool call's first sight, built-in or not (runs open their tool_calls step here). */
  toolCallSeen?(): void | Promise<void>;
}

/** The model call's finished turn, or the error (the upstream's, or the abort) that ended it early. */
export type ModelCallResult = { turn: ChatTurn } | { error: unknown };

/**
 * One model call of the loop both APIs share: streams `request` to `model`, hands the text and the client's
 * function calls to `sink` as they arrive, and assembles the turn (text, tool calls, usage, finish reason).
 * `builtins`: the function names that are built-in tools this call offers.
 */
export async function streamModelCall(model: ChatModel, request: ChatRequest, builtins: ReadonlySet<string>, sink: ModelCallSink, signal: AbortSignal): Promise<ModelCallResult> {
  const builder = new ChatTurnBuilder();
  const names = new Map<number, string>();
  const ids = new Map<number, string>();
  try {
    for await (const event of model.stream(request, signal)) {
      builder.add(event);
      // Sinks answer most deltas synchronously: only a returned promise is waited for.
      if (event.type === 'text') {
        const wrote = sink.text(event.delta);
        if (wrote) await wrote;
      } else if (event.type === 'tool_call') {
        const seen = sink.toolCallSeen?.();
        if (seen) await seen;
        if (event.name !== undefined) names.set(event.index, event.name);
        if (event.id !== undefined) ids.set(event.index, event.id);
        const name = names.get(event.index) ?? '';
        if (builtins.has(name)) continue;
        const first = event.name !== undefined;
        const wrote = sink.functionCall(first ? { index: event.index, arguments: event.arguments_delta, name, ...(ids.has(event.index) ? { id: ids.get(event.index)! } : {}) } : { index: event.index, arguments: event.arguments_delta });
        if (wrote) await wrote;
      }
    }
    return { turn: builder.turn() };
  } catch (error) {
    return { error };
  }
}

/** Usage of several model calls, summed. */
export function addUsage(a: ChatUsage | null, b: ChatUsage): ChatUsage {
  return {
    prompt_tokens: (a?.prompt_tokens ?? 0) + b.prompt_tokens,
    completion_tokens: (a?.completion_tokens ?? 0) + b.completion_tokens,
    total_tokens: (a?.total_tokens ?? 0) + b.total_tokens,
  };
}
