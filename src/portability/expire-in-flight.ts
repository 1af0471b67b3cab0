// A run that was in flight when the export was taken can never continue here (its model turn, its tool calls
// awaiting outputs, lived on the hosted service): it is imported as expired, as the hosted API ended runs that
// outlived their time, with its open step expired and its half-written message incomplete.
import { ACTIVE_RUN_STATUSES } from '../domain/run-status.js';
import type { Message, Run, RunStep } from '../domain/types.js';

export function expireRun(run: Run): Run {
  if (!ACTIVE_RUN_STATUSES.includes(run.status)) return run;
  return { ...run, status: 'expired', required_action: null, expires_at: null };
}

export function expireStep(step: RunStep, now: number): RunStep {
  return step.status === 'in_progress' ? { ...step, status: 'expired', expired_at: now } : step;
}

export function endMessage(message: Message, now: number): Message {
  if (message.status !== 'in_progress') return message;
  return { ...message, status: 'incomplete', incomplete_at: now, incomplete_details: { reason: 'run_expired' } };
}
