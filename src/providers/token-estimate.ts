/**
 * Token counts for when an upstream reports no usage (and for the scripted model). o200k_base is exact for
 * current OpenAI models and a fair estimate for others; the per-message overhead follows OpenAI's chat format.
 */
import { countTokens } from 'gpt-tokenizer';
import type { ChatMessage, ChatTool, ChatUsage } from './chat-model.js';

// Text from users may contain strings such as "<|endoftext|>"; count them as text rather than throwing.
const asPlainText = { disallowedSpecial: new Set<string>() };

// Each message costs a few tokens of framing, and the reply is primed with a few more.
const PER_MESSAGE = 3;
const REPLY_PRIMING = 3;
// Images are billed by size and detail, which we do not know here; 765 is a high-detail 512×512 tile set.
const PER_IMAGE = 765;

/** Tokens in a plain string. */
export function countTextTokens(text: string): number {
  return text ? countTokens(text, asPlainText) : 0;
}

/** Estimated prompt tokens of a request: messages, their tool calls, and the tool definitions. */
export function estimatePromptTokens(messages: ChatMessage[], tools?: ChatTool[]): number {
  let total = REPLY_PRIMING;
  for (const message of messages) {
    total += PER_MESSAGE + messageTokens(message);
  }
  if (tools && tools.length > 0) total += countTextTokens(JSON.stringify(tools));
  return total;
}

function messageTokens(message: ChatMessage): number {
  switch (message.role) {
    case 'system':
    case 'tool':
      return countTextTokens(message.content);
    case 'user':
      if (typeof message.content === 'string') return countTextTokens(message.content);
      return message.content.reduce(
        (sum, part) => sum + (part.type === 'text' ? countTextTokens(part.text) : PER_IMAGE),
        0,
      );
    case 'assistant': {
      let sum = countTextTokens(message.content ?? '');
      for (const call of message.tool_calls ?? []) {
        sum += countTextTokens(call.function.name) + countTextTokens(call.function.arguments);
      }
      return sum;
    }
  }
}

/** Usage from a request and what the model produced (text plus tool call names and arguments). */
export function estimateUsage(
  messages: ChatMessage[],
  tools: ChatTool[] | undefined,
  completionText: string,
): ChatUsage {
  const prompt_tokens = estimatePromptTokens(messages, tools);
  const completion_tokens = countTextTokens(completionText);
  return { prompt_tokens, completion_tokens, total_tokens: prompt_tokens + completion_tokens };
}
