import { randomBytes } from 'node:crypto';

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
  const random = randomBytes(13);
  let tail = '';
  for (const byte of random) tail += ALPHABET[byte % 62];
  return prefix + base62(now, 8) + base62(counter % 238328, 3) + tail;
}

/** Unix seconds, the unit of every time field of the API. */
export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}
