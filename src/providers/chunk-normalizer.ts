/**
 * Turns chat-completion chunks from any OpenAI-compatible server into `ChatEvent`s. Servers differ: some
 * repeat the tool call id and name on every delta, some omit the index or the id, some report `stop` after
 * tool calls, some send usage on every chunk. The engine sees one behaviour.
 */
import { randomBytes } from 'node:crypto';
import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import {
  ProviderError,
  type ChatEvent,
  type ChatFinishReason,
  type ChatRequest,
  type ChatUsage,
} from './chat-model.js';
import { estimateUsage } from './token-estimate.js';

type ToolCallDelta = NonNullable<ChatCompletionChunk.Choice.Delta['tool_calls']>[number];

interface CallState {
  id: string;
  name: string;
  arguments: string;
}

/** Feed chunks with `push`, then call `end` once the upstream stream is over. */
export class ChunkNormalizer {
  private readonly calls: CallState[] = [];
  private readonly upstreamIndex = new Map<number, number>();
  private lastCallIndex = -1;
  private text = '';
  private usage: ChatUsage | undefined;
  private finishReason: string | undefined;

  /** Events carried by one chunk, in order. */
  push(chunk: ChatCompletionChunk): ChatEvent[] {
    const events: ChatEvent[] = [];
    if (chunk.usage) this.usage = readUsage(chunk.usage);
    const choice = chunk.choices?.find((c) => c.index === 0 || c.index === undefined);
    if (!choice) return events;
    const delta = choice.delta ?? {};
    if (typeof delta.content === 'string' && delta.content !== '') {
      this.text += delta.content;
      events.push({ type: 'text', delta: delta.content });
    }
    for (const call of delta.tool_calls ?? []) events.push(this.toolCallEvent(call));
    if (choice.finish_reason) this.finishReason = choice.finish_reason;
    return events;
  }

  /** The closing `usage` and `finish` events; throws if the upstream never said why it stopped. */
  end(req: ChatRequest, where: string): ChatEvent[] {
    if (this.finishReason === undefined) {
      throw new ProviderError('server_error', `the stream from ${where} ended without a finish_reason`);
    }
    const usage = this.usage ?? this.estimate(req);
    return [
      { type: 'usage', ...usage },
      { type: 'finish', reason: this.normalizedFinish() },
    ];
  }

  private toolCallEvent(delta: ToolCallDelta): ChatEvent {
    const index = this.indexFor(delta);
    let state = this.calls[index];
    const argumentsDelta = delta.function?.arguments ?? '';
    if (!state) {
      state = { id: delta.id || `call_${randomBytes(12).toString('base64url')}`, name: delta.function?.name ?? '', arguments: '' };
      this.calls[index] = state;
      state.arguments += argumentsDelta;
      return { type: 'tool_call', index, id: state.id, name: state.name, arguments_delta: argumentsDelta };
    }
    // A server that sent the name late (or piecewise) still gets it through; repeats are dropped.
    const name = delta.function?.name;
    state.arguments += argumentsDelta;
    if (name && !state.name) {
      state.name = name;
      return { type: 'tool_call', index, name, arguments_delta: argumentsDelta };
    }
    return { type: 'tool_call', index, arguments_delta: argumentsDelta };
  }

  /**
   * Dense indices in order of first appearance. A delta without an index continues the last call unless it
   * brings a new id, which is how servers that send whole calls per chunk (without indices) behave.
   */
  private indexFor(delta: ToolCallDelta): number {
    const raw = (delta as { index?: number }).index;
    if (typeof raw === 'number') {
      let index = this.upstreamIndex.get(raw);
      if (index === undefined) {
        index = this.calls.length;
        this.upstreamIndex.set(raw, index);
      }
      this.lastCallIndex = index;
      return index;
    }
    const last = this.calls[this.lastCallIndex];
    if (last && (!delta.id || delta.id === last.id)) return this.lastCallIndex;
    this.lastCallIndex = this.calls.length;
    return this.lastCallIndex;
  }

  private normalizedFinish(): ChatFinishReason {
    switch (this.finishReason) {
      case 'length':
        return 'length';
      case 'content_filter':
        return 'content_filter';
      case 'tool_calls':
      case 'function_call':
        return 'tool_calls';
      default:
        // Ollama and others say `stop` after emitting tool calls; the calls are what matters.
        return this.calls.length > 0 ? 'tool_calls' : 'stop';
    }
  }

  private estimate(req: ChatRequest): ChatUsage {
    const produced = this.text + this.calls.map((c) => c.name + c.arguments).join('');
    return estimateUsage(req.messages, req.tools, produced);
  }
}

function readUsage(usage: NonNullable<ChatCompletionChunk['usage']>): ChatUsage {
  const prompt_tokens = usage.prompt_tokens ?? 0;
  const completion_tokens = usage.completion_tokens ?? 0;
  return { prompt_tokens, completion_tokens, total_tokens: usage.total_tokens ?? prompt_tokens + completion_tokens };
}
