/**
 * Which thread messages a model call sees. `last_messages` keeps the newest N; both strategies then drop from
 * the middle to fit the room left: the newest message always stays (it is usually the question), the thread's
 * first user message stays when it fits (it often sets the task), and the rest is filled newest first.
 */
import type { TruncationStrategy } from '../../domain/types.js';

/** The thread messages before the run, oldest first, as the selection sees them. */
export interface TruncationCandidates {
  count: number;
  /** Prompt tokens of message `i`; called lazily, only for messages that might be kept. */
  cost(i: number): number;
  isUser(i: number): boolean;
}

/**
 * Indices of the messages to keep, ascending, using at most `room` tokens. Undefined when even the newest
 * message alone does not fit (the caller decides which limit that breaks).
 */
export function selectThreadMessages(candidates: TruncationCandidates, strategy: TruncationStrategy, room: number): number[] | undefined {
  const { count, cost, isUser } = candidates;
  const start = strategy.type === 'last_messages' && strategy.last_messages != null ? Math.max(0, count - strategy.last_messages) : 0;
  if (start >= count) return [];
  const newest = count - 1;
  let used = cost(newest);
  if (used > room) return undefined;

  let anchor: number | undefined;
  if (strategy.type === 'auto') {
    for (let i = start; i < newest; i++) {
      if (!isUser(i)) continue;
      if (used + cost(i) <= room) {
        anchor = i;
        used += cost(i);
      }
      break;
    }
  }

  const tail = [newest];
  for (let i = newest - 1; i >= start && i !== anchor; i--) {
    const c = cost(i);
    if (used + c > room) break;
    used += c;
    tail.push(i);
  }
  tail.reverse();
  return anchor === undefined ? tail : [anchor, ...tail];
}
