import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { EmbeddingModel } from '../providers/embedding-model.js';
import { createQueryVectorCache, embedQueries } from './embed-queries.js';

function countingModel(key: string, failFirst = false) {
  const calls: string[][] = [];
  const model: EmbeddingModel = {
    name: key,
    key,
    async embed(texts) {
      calls.push(texts);
      if (failFirst && calls.length === 1) throw new Error('upstream down');
      return texts.map((t) => [t.length, 1]);
    },
  };
  return { model, calls };
}

test('cached query vectors: one request per distinct query and model; failures and expired entries are asked again', async () => {
  let now = 0;
  const cache = createQueryVectorCache(2, 1000, () => now);
  const a = countingModel('a:2', true);
  const failed = await embedQueries(a.model, ['x'], undefined, cache);
  assert.ok(failed.error, 'a failure falls back to lexical');
  const [one, two] = await Promise.all([embedQueries(a.model, ['x', 'yy'], undefined, cache), embedQueries(a.model, ['yy'], undefined, cache)]);
  assert.deepEqual(a.calls, [['x'], ['x', 'yy']]);
  assert.deepEqual([...one.query.queryEmbeddings![1]!], [...two.query.queryEmbeddings![0]!]);
  assert.equal(one.query.embeddingModel, 'a:2');

  const b = countingModel('b:2');
  await embedQueries(b.model, ['x'], undefined, cache);
  assert.deepEqual(b.calls, [['x']], 'another model never reuses the first one\'s vectors');

  now = 1000;
  await embedQueries(a.model, ['yy'], undefined, cache);
  assert.deepEqual(a.calls.at(-1), ['yy'], 'expired entries are embedded again');
});
