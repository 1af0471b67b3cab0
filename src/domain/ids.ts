import { randomFillSync } from 'node:crypto';

/** Prefixes of every object id, as the hosted API spelled them. */
export const ID_PREFIX = {
  assistant: 'asst_',
  thread: 'thread_',
  message: 'msg_',
  run: 'run_',
  step: 'step_',
  file: 'file-',
  vectorStore: 'vs_',
  fileBatch: 'vsfb_',
  call: 'call_',
  key: 'key_',
  response: 'resp_',
  conversation: 'conv_',
  functionCall: 'fc_',
  functionCallOutput: 'fco_',
  fileSearchCall: 'fs_',
  codeInterpreterCall: 'ci_',
  container: 'cntr_',
  containerFile: 'cfile_',
} as const;

// Digits, then upper, then lower case: the same order as byte-wise comparison, so ids sort by creation.
const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

function base62(value: number, width: number): string {
  let out = '';
  for (let i = 0; i < width; i++) {
    out = ALPHABET[value % 62] + out;
    value = Math.floor(value / 62);
  }
  return out;
}

let lastMs = 0;
let counter = 0;

// One getrandom call per 256 ids instead of one per id: ids are made on every create, a hot path.
const pool = Buffer.alloc(13 * 256);
let poolOffset = pool.length;

function randomTail(): string {
  if (poolOffset + 13 > pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  let tail = '';
  for (let i = 0; i < 13; i++) tail += ALPHABET[pool[poolOffset + i]! % 62];
  poolOffset += 13;
  return tail;
}

/**
 * A 24-character id after the prefix: 8 characters of milliseconds, 3 of a per-millisecond counter and 13 random.
 * Ids made by one process sort in creation order, which keeps keyset pagination stable within one second.
 */
export function newId(prefix: string): string {
  const now = Date.now();
  if (now === lastMs) counter++;
  else {
    lastMs = now;
    counter = 0;
  }
  return prefix + base62(now, 8) + base62(counter % 238328, 3) + randomTail();
}

/** Unix seconds, the unit of every time field of the API. */
export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

// Every id this server makes or keeps: its own, the hosted API's and Azure's (`assistant-…` files), the seed
// documents' placeholders (`file.id`). Anything else cannot name a stored object.
const POSSIBLE_ID = /^[A-Za-z0-9_.-]{1,128}$/;

/** Whether a string could be an object id at all; one that cannot is answered without asking the database. */
export function isPossibleId(value: string): boolean {
  return POSSIBLE_ID.test(value);
}
