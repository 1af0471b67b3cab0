/**
 * The scripted model: deterministic answers without an upstream, for the engine's tests and for people testing
 * their own apps without spending tokens. Selected by model name: `scripted` (built-in behaviour, or a
 * ```script block in the last user message) or `scripted:<name>` (a stored script).
 *
 * Stateless by design: the step to play is the number of assistant turns since the last user message, so a
 * run that calls tools and gets their outputs moves through the steps, and any replica can answer.
 * Templates in text, chunks and tool arguments: {{last_user}}, {{tool_outputs}} (joined by newlines) and
 * {{tool_output.N}} (0-based) — all counted since the last user message.
 */
import { createHash } from 'node:crypto';
import {
  ProviderError,
  abortReason,
  errorCodeForStatus,
  type ChatEvent,
  type ChatMessage,
  type ChatModel,
  type ChatRequest,
  type ProviderErrorCode,
} from './chat-model.js';
import { sleep } from './retry.js';
import { compileMatch, parseScriptDirective, type Script, type ScriptSource, type ScriptStep } from './script.js';
import { estimateUsage } from './token-estimate.js';

const PREFIX = 'scripted:';

/** True for model names the scripted model answers: `scripted` and `scripted:<name>`. */
export function isScriptedModelName(name: string): boolean {
  return name === 'scripted' || (name.startsWith(PREFIX) && name.length > PREFIX.length);
}

/** Creates the scripted model for one model name, playing the named scripts `project` may use. */
export function createScriptedModel(name: string, source: ScriptSource, project?: string): ChatModel {
  const scripts = { get: (scriptName: string) => source.get(scriptName, project) };
  return {
    info: { name, provider: 'scripted', contextWindow: 128_000, supportsTools: true, supportsVision: true },
    stream: (req, signal) => play(name, scripts, req, signal),
  };
}

/** What the scripted model reads from the conversation. */
interface Turn {
  lastUser: string;
  toolOutputs: string[];
  stepIndex: number;
}

async function* play(name: string, source: ScriptSource, req: ChatRequest, signal: AbortSignal): AsyncGenerator<ChatEvent> {
  const turn = readTurn(req.messages);
  const directive = parseScriptDirective(turn.lastUser);
  if (directive) turn.lastUser = directive.rest;
  const script = directive?.script ?? (await namedScript(name, source));
  const steps = (script && pickRule(script, turn.lastUser)) ?? [{ text: 'You said: {{last_user}}' }];
  const step = steps[turn.stepIndex] ?? finalStep(turn);
  if (step.delay_ms) await sleep(step.delay_ms, signal);

  let produced = '';
  for (const delta of textDeltas(step, turn)) {
    if (signal.aborted) throw abortReason(signal);
    produced += delta;
    yield { type: 'text', delta };
  }
  if (step.error) throw scriptedError(step.error);
  const idBase = hash(JSON.stringify(req.messages));
  const calls = step.tool_calls ?? [];
  for (const [index, call] of calls.entries()) {
    if (signal.aborted) throw abortReason(signal);
    const args = renderArguments(call.arguments, turn);
    const id = call.id ?? `call_${hash(`${idBase}:${index}:${call.name}:${args}`).slice(0, 24)}`;
    produced += call.name + args;
    // Arguments arrive in two deltas, as real models split them, so consumers must reassemble.
    const half = Math.ceil(args.length / 2);
    yield { type: 'tool_call', index, id, name: call.name, arguments_delta: args.slice(0, half) };
    yield { type: 'tool_call', index, arguments_delta: args.slice(half) };
  }
  if (signal.aborted) throw abortReason(signal);
  const usage = step.usage
    ? { ...step.usage, total_tokens: step.usage.prompt_tokens + step.usage.completion_tokens }
    : estimateUsage(req.messages, req.tools, produced);
  yield { type: 'usage', ...usage };
  yield { type: 'finish', reason: step.finish_reason ?? (calls.length > 0 ? 'tool_calls' : 'stop') };
}

function readTurn(messages: ChatMessage[]): Turn {
  let lastUserAt = -1;
  for (let i = messages.length - 1; i >= 0; i--) {
    if (messages[i]!.role === 'user') {
      lastUserAt = i;
      break;
    }
  }
  const since = messages.slice(lastUserAt + 1);
  const user = messages[lastUserAt];
  let lastUser = '';
  if (user?.role === 'user') {
    lastUser = typeof user.content === 'string'
      ? user.content
      : user.content.flatMap((p) => (p.type === 'text' ? [p.text] : [])).join('\n');
  }
  return {
    lastUser,
    toolOutputs: since.flatMap((m) => (m.role === 'tool' ? [m.content] : [])),
    stepIndex: since.filter((m) => m.role === 'assistant').length,
  };
}

async function namedScript(name: string, source: ScriptSource): Promise<Script | undefined> {
  if (!name.startsWith(PREFIX)) return undefined;
  const scriptName = name.slice(PREFIX.length);
  let script: Script | undefined;
  try {
    script = await source.get(scriptName);
  } catch (err) {
    throw new ProviderError('server_error', `could not load script "${scriptName}": ${(err as Error).message}`, { cause: err });
  }
  if (!script) {
    throw new ProviderError('invalid_prompt', `no script named "${scriptName}" (model ${name}): create it first, or use model "scripted" with a \`\`\`script block in the message`);
  }
  return script;
}

function pickRule(script: Script, lastUser: string): ScriptStep[] | undefined {
  const matched = script.rules.find((r) => r.match !== undefined && compileMatch(r.match)?.test(lastUser));
  return (matched ?? script.rules.find((r) => r.match === undefined))?.steps;
}

/** When a script runs out of steps the turn still has to end: summarise what the tools said. */
function finalStep(turn: Turn): ScriptStep {
  return { text: turn.toolOutputs.length > 0 ? 'Tool outputs:\n{{tool_outputs}}' : 'You said: {{last_user}}' };
}

function textDeltas(step: ScriptStep, turn: Turn): string[] {
  if (step.chunks) return step.chunks.map((c) => render(c, turn)).filter((c) => c !== '');
  const text = render(step.text ?? '', turn);
  return text.match(/\s*\S+\s*/g) ?? (text ? [text] : []);
}

function render(template: string, turn: Turn): string {
  return template.replace(/\{\{\s*(last_user|tool_outputs|tool_output\.(\d+))\s*\}\}/g, (_, key: string, n?: string) => {
    if (key === 'last_user') return turn.lastUser;
    if (key === 'tool_outputs') return turn.toolOutputs.join('\n');
    return turn.toolOutputs[Number(n)] ?? '';
  });
}

/** Object arguments get templates in their string values, then JSON; string arguments are rendered as they are. */
function renderArguments(args: string | Record<string, unknown> | undefined, turn: Turn): string {
  if (args === undefined) return '{}';
  if (typeof args === 'string') return render(args, turn);
  return JSON.stringify(args, (_key, value: unknown) => (typeof value === 'string' ? render(value, turn) : value));
}

const CODES: readonly ProviderErrorCode[] = ['server_error', 'rate_limit_exceeded', 'invalid_prompt'];

function scriptedError(error: NonNullable<ScriptStep['error']>): ProviderError {
  const code = CODES.find((c) => c === error.code) ?? errorCodeForStatus(error.status);
  return new ProviderError(code, error.message, { status: error.status });
}

function hash(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
