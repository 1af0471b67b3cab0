import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { selectThreadMessages, type TruncationCandidates } from './truncation.js';

// Messages with given costs; roles alternate user, assistant, user, ... unless given.
function candidates(costs: number[], roles?: Array<'user' | 'assistant'>): TruncationCandidates & { counted: Set<number> } {
  const counted = new Set<number>();
  return {
    count: costs.length,
    cost: (i) => (counted.add(i), costs[i]!),
    isUser: (i) => (roles ? roles[i] === 'user' : i % 2 === 0),
    counted,
  };
}

const auto = { type: 'auto' as const, last_messages: null };

describe('selectThreadMessages', () => {
  test('keeps everything that fits, in order', () => {
    assert.deepEqual(selectThreadMessages(candidates([10, 10, 10]), auto, 30), [0, 1, 2]);
    assert.deepEqual(selectThreadMessages(candidates([]), auto, 0), []);
  });

  test('auto drops from the middle: the first user message and the newest ones stay', () => {
    // 6 messages of 10; room for 4: first user (0) + the newest three (3, 4, 5).
    assert.deepEqual(selectThreadMessages(candidates([10, 10, 10, 10, 10, 10]), auto, 40), [0, 3, 4, 5]);
  });

  test('the first user message is the first message with role user, not message 0', () => {
    const roles = ['assistant', 'user', 'assistant', 'user', 'assistant', 'user'] as const;
    assert.deepEqual(selectThreadMessages(candidates([10, 10, 10, 10, 10, 10], [...roles]), auto, 30), [1, 4, 5]);
  });

  test('a first user message too big to fit is skipped, the newest still fill the room', () => {
    assert.deepEqual(selectThreadMessages(candidates([100, 10, 10, 10, 10]), auto, 30), [2, 3, 4]);
  });

  test('filling stops at the first message that does not fit, so what is kept is a contiguous recent tail', () => {
    assert.deepEqual(selectThreadMessages(candidates([5, 5, 50, 5, 5], ['assistant', 'assistant', 'user', 'assistant', 'user']), auto, 60), [2, 3, 4]);
    assert.deepEqual(selectThreadMessages(candidates([5, 5, 5, 50, 5]), auto, 20), [0, 4]);
  });

  test('last_messages keeps only the newest N, and never re-adds the first user message', () => {
    assert.deepEqual(selectThreadMessages(candidates([10, 10, 10, 10, 10]), { type: 'last_messages', last_messages: 2 }, 1000), [3, 4]);
    assert.deepEqual(selectThreadMessages(candidates([10, 10]), { type: 'last_messages', last_messages: 5 }, 1000), [0, 1]);
    // Still fits the room: drops the older of the last three.
    assert.deepEqual(selectThreadMessages(candidates([10, 10, 10, 10, 10]), { type: 'last_messages', last_messages: 3 }, 20), [3, 4]);
  });

  test('undefined when the newest message alone is over the room', () => {
    assert.equal(selectThreadMessages(candidates([1, 1, 31]), auto, 30), undefined);
  });

  test('counts only messages that might be kept', () => {
    const c = candidates(new Array(1000).fill(10));
    assert.equal(selectThreadMessages(c, { type: 'last_messages', last_messages: 3 }, 1000)!.length, 3);
    assert.deepEqual([...c.counted].sort((a, b) => a - b), [997, 998, 999]);
  });
});
