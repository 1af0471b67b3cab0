/**
 * Folds a `ChatEvent` stream into the complete assistant turn. The engine streams deltas to clients as they
 * come but needs the whole turn to record it; tests use it to assert on one value.
 */
import type { ChatEvent, ChatFinishReason, ChatToolCall, ChatUsage } from './chat-model.js';

/** A finished model call. */
export interface ChatTurn {
  text: string;
  tool_calls: ChatToolCall[];
  usage: ChatUsage;
  finish_reason: ChatFinishReason;
}

/** Accumulates events one at a time; `turn()` is valid once the `finish` event was added. */
export class ChatTurnBuilder {
  private text = '';
  private readonly calls: ChatToolCall[] = [];
  private usage: ChatUsage | undefined;
  private finish: ChatFinishReason | undefined;

  add(event: ChatEvent): void {
    switch (event.type) {
      case 'text':
        this.text += event.delta;
        break;
      case 'tool_call': {
        const call = (this.calls[event.index] ??= { id: '', type: 'function', function: { name: '', arguments: '' } });
        if (event.id !== undefined) call.id = event.id;
        if (event.name !== undefined) call.function.name = event.name;
        call.function.arguments += event.arguments_delta;
        break;
      }
      case 'usage':
        this.usage = { prompt_tokens: event.prompt_tokens, completion_tokens: event.completion_tokens, total_tokens: event.total_tokens };
        break;
      case 'finish':
        this.finish = event.reason;
        break;
    }
  }

  turn(): ChatTurn {
    if (this.finish === undefined) throw new Error('the chat stream has not finished');
    return {
      text: this.text,
      tool_calls: this.calls.filter(Boolean),
      usage: this.usage ?? { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
      finish_reason: this.finish,
    };
  }
}

/** Reads a whole stream into one `ChatTurn`; errors from the stream propagate. */
export async function collectChat(events: AsyncIterable<ChatEvent>): Promise<ChatTurn> {
  const builder = new ChatTurnBuilder();
  for await (const event of events) builder.add(event);
  return builder.turn();
}
