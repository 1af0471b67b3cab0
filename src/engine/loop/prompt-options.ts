/**
 * A run's `response_format` and `tool_choice` in chat-completions shape. Built-in tools are offered to the
 * model as functions named after their type, so choosing one is choosing that function.
 */
import type { ResponseFormat, ToolChoice } from '../../domain/types.js';
import type { ChatRequest } from '../../providers/chat-model.js';

/** Undefined for `auto` (and none set): the model's default, plain text. */
export function chatResponseFormat(format: ResponseFormat | null): ChatRequest['response_format'] {
  if (format === null || format === 'auto') return undefined;
  if (format.type !== 'json_schema') return { type: format.type };
  const { name, description, schema, strict } = format.json_schema;
  return {
    type: 'json_schema',
    json_schema: { name, ...(description !== undefined ? { description } : {}), ...(schema ? { schema } : {}), ...(strict != null ? { strict } : {}) },
  };
}

export function chatToolChoice(choice: ToolChoice): NonNullable<ChatRequest['tool_choice']> {
  if (typeof choice === 'string') return choice;
  if (choice.type === 'function') return { type: 'function', function: { name: choice.function.name } };
  return { type: 'function', function: { name: choice.type } };
}
