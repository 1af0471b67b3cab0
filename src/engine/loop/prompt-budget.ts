/**
 * How many tokens the next model call of a run may spend: the prompt must fit the model's context window (less
 * room for the reply) and what is left of the run's `max_prompt_tokens`; the reply gets what is left of
 * `max_completion_tokens`. Both limits are budgets across the whole run, as the hosted API defined them.
 */
import type { Run } from '../../domain/types.js';
import { ProviderError, type ChatModelInfo } from '../../providers/chat-model.js';

/**
 * A run budget is spent: the run should end `incomplete` with `incomplete_details.reason` = `incompleteReason`.
 * Thrown by prompt building before the model is called, so nothing was sent upstream.
 */
export class RunBudgetError extends Error {
  override readonly name: string = 'RunBudgetError';

  constructor(
    readonly incompleteReason: 'max_prompt_tokens' | 'max_completion_tokens',
    message: string,
  ) {
    super(message);
  }
}

/** Even the smallest prompt (instructions, the last thread message, this run's own turns) exceeds what is left of `max_prompt_tokens`. */
export class PromptBudgetError extends RunBudgetError {
  override readonly name = 'PromptBudgetError';

  constructor(
    readonly needed: number,
    readonly remaining: number,
  ) {
    super('max_prompt_tokens', `The prompt needs about ${needed} tokens but only ${remaining} of max_prompt_tokens are left.`);
  }
}

/** Nothing is left of `max_completion_tokens` for another model call. */
export class CompletionBudgetError extends RunBudgetError {
  override readonly name = 'CompletionBudgetError';

  constructor(readonly used: number) {
    super('max_completion_tokens', `The run has used ${used} completion tokens, all of max_completion_tokens.`);
  }
}

/**
 * The smallest prompt does not fit the model's context window at all. Not a budget the caller chose, so the run
 * fails with `invalid_prompt` (a `ProviderError`, which the run loop already reports as `last_error`).
 */
export class ContextWindowError extends ProviderError {
  constructor(needed: number, model: ChatModelInfo) {
    super(
      'invalid_prompt',
      `The prompt needs about ${needed} tokens but model "${model.name}" has a context window of ${model.contextWindow} tokens: ` +
        'shorten the instructions or the last message, or set context_window in the models: entry if the model takes more.',
    );
  }
}

// Room kept for the reply when the run sets no completion budget: enough for a long answer, never most of a small window.
const DEFAULT_REPLY_RESERVE = 4096;
// Smallest reply worth asking for when the prompt already fills the window.
const MIN_REPLY = 16;

/** What one model call may spend. */
export interface CallBudget {
  /** Prompt tokens the thread may fill up to (after the reply's reserve). */
  promptLimit: number;
  /** Left of max_prompt_tokens, or Infinity. */
  promptRemaining: number;
  /** Left of max_completion_tokens, or undefined when the run sets none. */
  completionRemaining: number | undefined;
}

/** The budget of the run's next model call; throws `CompletionBudgetError` when nothing is left for a reply. */
export function callBudget(run: Run, model: ChatModelInfo): CallBudget {
  let completionRemaining: number | undefined;
  if (run.max_completion_tokens != null) {
    const used = run.usage?.completion_tokens ?? 0;
    completionRemaining = run.max_completion_tokens - used;
    if (completionRemaining <= 0) throw new CompletionBudgetError(used);
  }
  const promptRemaining = run.max_prompt_tokens != null ? run.max_prompt_tokens - (run.usage?.prompt_tokens ?? 0) : Infinity;
  const reserve = Math.min(completionRemaining ?? Infinity, DEFAULT_REPLY_RESERVE, Math.floor(model.contextWindow / 4));
  return { promptLimit: Math.min(model.contextWindow - reserve, promptRemaining), promptRemaining, completionRemaining };
}

/**
 * Checks the smallest possible prompt against the budget. When it is over only because of the reply's reserve,
 * the call goes ahead with less room for the reply; the returned limit is what the thread may fill up to.
 */
export function admitMinimum(minimum: number, budget: CallBudget, model: ChatModelInfo): number {
  if (minimum <= budget.promptLimit) return budget.promptLimit;
  if (minimum > budget.promptRemaining) throw new PromptBudgetError(minimum, Math.max(0, budget.promptRemaining));
  if (minimum + MIN_REPLY > model.contextWindow) throw new ContextWindowError(minimum, model);
  return minimum;
}

/** `max_tokens` for the call: what is left of the run's budget, and never more than the window leaves after the prompt. */
export function replyLimit(promptTokens: number, budget: CallBudget, model: ChatModelInfo): number | undefined {
  if (budget.completionRemaining === undefined) return undefined;
  return Math.max(1, Math.min(budget.completionRemaining, model.contextWindow - promptTokens));
}
