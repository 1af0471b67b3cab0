import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, test } from 'node:test';
import { createBlobCache } from './blob-cache.js';

let dir: string;
let now: number;
let fetched: string[];
const fetchBlob = async (key: string) => {
  fetched.push(key);
  return Readable.from([Buffer.alloc(100, key.charCodeAt(key.length - 1))]);
};
const open = (maxBytes: number) => createBlobCache(join(dir, 'cache'), maxBytes, fetchBlob, () => now);

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'assistd-blob-cache-'));
  now = 1_000_000;
  fetched = [];
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

test('the least recently used copies go once the bound is passed, but not those used in the last minute', async () => {
  const cache = open(250);
  const a = await cache.path('file-a');
  now += 61_000;
  const b = await cache.path('file-b');
  now += 61_000;
  await cache.path('file-a');
  await cache.path('file-c');
  // a was used again just now, so b (older) went; a and c stay, 200 bytes.
  assert.ok(existsSync(a) && !existsSync(b));
  assert.equal(cache.bytes(), 200);
  assert.deepEqual(fetched, ['file-a', 'file-b', 'file-c']);
  await cache.path('file-d');
  // Everything else was used within the minute: the bound is passed for now rather than a file pulled from under a tool.
  assert.equal(cache.bytes(), 300);
  now += 61_000;
  await cache.path('file-e');
  assert.equal(cache.bytes(), 200);
});

test('concurrent callers share one fetch; a copy evicted by another process is fetched again', async () => {
  const cache = open(1000);
  const [p1, p2] = await Promise.all([cache.path('file-x'), cache.path('file-x')]);
  assert.equal(p1, p2);
  assert.deepEqual(readFileSync(p1), Buffer.alloc(100, 'x'.charCodeAt(0)));
  rmSync(p1);
  await cache.path('file-x');
  assert.deepEqual(fetched, ['file-x', 'file-x']);
  assert.equal(cache.bytes(), 100);
});

test('copies a previous process left are reused and counted', async () => {
  await open(1000).path('file-y');
  const again = open(1000);
  assert.equal(again.bytes(), 100);
  await again.path('file-y');
  assert.deepEqual(fetched, ['file-y']);
});
