import type OpenAI from 'openai';
import { script } from './script.js';

/**
 * Spends 120 tokens in one run under a 100-token-per-minute quota: the run's first model call reports the usage
 * and asks for a tool, so the call after the tool output finds the quota spent and the run fails. Returns the
 * failed run with its thread and assistant, for the caller's checks.
 */
export async function runPastTokenQuota(client: OpenAI) {
  const tools = [{ type: 'function' as const, function: { name: 'lookup', parameters: { type: 'object', properties: {} } } }];
  const assistant = await client.beta.assistants.create({ model: 'scripted', tools });
  const steps = [{ tool_calls: [{ name: 'lookup', arguments: {} }], usage: { prompt_tokens: 90, completion_tokens: 30 } }, { text: 'never said' }];
  const thread = await client.beta.threads.create({ messages: [{ role: 'user', content: script(steps) }] });
  const paused = await client.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id }, { pollIntervalMs: 25 });
  if (paused.status !== 'requires_action') throw new Error(`expected requires_action, got ${paused.status}`);
  const call = paused.required_action!.submit_tool_outputs.tool_calls[0]!;
  const failed = await client.beta.threads.runs.submitToolOutputsAndPoll(paused.id, { thread_id: thread.id, tool_outputs: [{ tool_call_id: call.id, output: 'x' }] }, { pollIntervalMs: 25 });
  return { failed, thread, assistant };
}
