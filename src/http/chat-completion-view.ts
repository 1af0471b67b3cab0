/**
 * Chat completions in the wire shapes (`chat.completion`, `chat.completion.chunk`) for models answered here
 * rather than by an upstream (the scripted model): built from the model's `ChatEvent`s.
 */
import { randomBytes } from 'node:crypto';
import type { ChatEvent, ChatMessage, ChatRequest, ChatTool } from '../providers/chat-model.js';
import type { ChatTurn } from '../providers/collect-chat.js';

/** The parts of a client's request a model answered here uses; the rest (n, logprobs, …) is ignored. */
export function chatRequestFrom(body: Record<string, unknown>): ChatRequest {
  const messages = (body.messages as Array<Record<string, unknown>>).map((m) => (m.role === 'developer' ? { ...m, role: 'system' } : m)) as unknown as ChatMessage[];
  const req: ChatRequest = { model: String(body.model), messages };
  if (Array.isArray(body.tools) && body.tools.length > 0) req.tools = body.tools as ChatTool[];
  if (body.tool_choice !== undefined) req.tool_choice = body.tool_choice as ChatRequest['tool_choice'];
  if (typeof body.parallel_tool_calls === 'boolean') req.parallel_tool_calls = body.parallel_tool_calls;
  if (typeof body.temperature === 'number') req.temperature = body.temperature;
  if (typeof body.top_p === 'number') req.top_p = body.top_p;
  const maxTokens = body.max_completion_tokens ?? body.max_tokens;
  if (typeof maxTokens === 'number') req.max_tokens = maxTokens;
  if (body.response_format && typeof body.response_format === 'object') req.response_format = body.response_format;
  return req;
}

export function completionId(): string {
  return `chatcmpl-${randomBytes(15).toString('base64url')}`;
}

/** A whole `chat.completion`. */
export function completionObject(id: string, model: string, created: number, turn: ChatTurn) {
  const message = {
    role: 'assistant',
    content: turn.text === '' && turn.tool_calls.length > 0 ? null : turn.text,
    refusal: null,
    ...(turn.tool_calls.length > 0 ? { tool_calls: turn.tool_calls } : {}),
  };
  return {
    id, object: 'chat.completion', created, model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: turn.finish_reason }],
    usage: turn.usage,
  };
}

/**
 * The `chat.completion.chunk`s for one event, as OpenAI streams them: a first chunk with the role, content
 * and tool call deltas, a last one with the finish reason, then (when asked) one with usage and no choices.
 */
export function chunksFor(event: ChatEvent, base: { id: string; model: string; created: number }, includeUsage: boolean): object[] {
  const chunk = (delta: object, finish: string | null = null) => ({
    id: base.id, object: 'chat.completion.chunk', created: base.created, model: base.model,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    ...(includeUsage ? { usage: null } : {}),
  });
  switch (event.type) {
    case 'text':
      return [chunk({ content: event.delta })];
    case 'tool_call': {
      const head = event.id !== undefined ? { id: event.id, type: 'function' } : {};
      const fn = { ...(event.name !== undefined ? { name: event.name } : {}), arguments: event.arguments_delta };
      return [chunk({ tool_calls: [{ index: event.index, ...head, function: fn }] })];
    }
    case 'usage':
      // Sent after the finish chunk; see `usageChunk`.
      return [];
    case 'finish':
      return [chunk({}, event.reason)];
  }
}

/** The first chunk, before any content: the assistant role. */
export function roleChunk(base: { id: string; model: string; created: number }, includeUsage: boolean): object {
  return {
    id: base.id, object: 'chat.completion.chunk', created: base.created, model: base.model,
    choices: [{ index: 0, delta: { role: 'assistant', content: '', refusal: null }, logprobs: null, finish_reason: null }],
    ...(includeUsage ? { usage: null } : {}),
  };
}

/** The closing usage chunk of a stream whose client set `stream_options.include_usage`. */
export function usageChunk(base: { id: string; model: string; created: number }, usage: Extract<ChatEvent, { type: 'usage' }>): object {
  const { type: _type, ...counts } = usage;
  return { id: base.id, object: 'chat.completion.chunk', created: base.created, model: base.model, choices: [], usage: counts };
}
