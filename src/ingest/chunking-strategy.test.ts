import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resolveChunking, validateChunkingStrategy } from './chunking-strategy.js';

const S = 'chunking_strategy.static';

describe('validateChunkingStrategy', () => {
  it('defaults to auto when absent or null, and auto is 800/400', () => {
    assert.deepEqual(validateChunkingStrategy(undefined), { ok: true, value: { type: 'auto' } });
    assert.deepEqual(validateChunkingStrategy(null), { ok: true, value: { type: 'auto' } });
    assert.deepEqual(validateChunkingStrategy({ type: 'auto' }), { ok: true, value: { type: 'auto' } });
    assert.deepEqual(resolveChunking({ type: 'auto' }), { maxTokens: 800, overlapTokens: 400 });
  });

  it('accepts static at the limits', () => {
    for (const [max, overlap] of [[100, 0], [100, 50], [4096, 2048], [801, 400]]) {
      const r = validateChunkingStrategy({ type: 'static', static: { max_chunk_size_tokens: max, chunk_overlap_tokens: overlap } });
      assert.deepEqual(r, { ok: true, value: { type: 'static', static: { max_chunk_size_tokens: max, chunk_overlap_tokens: overlap } } });
    }
    assert.deepEqual(
      resolveChunking({ type: 'static', static: { max_chunk_size_tokens: 300, chunk_overlap_tokens: 20 } }),
      { maxTokens: 300, overlapTokens: 20 },
    );
  });

  const cases: Array<[string, unknown, string, string]> = [
    ['not an object', 'auto', 'chunking_strategy', "Invalid type for 'chunking_strategy': expected an object, but got a string instead."],
    ['missing type', {}, 'chunking_strategy.type', "Missing required parameter: 'chunking_strategy.type'."],
    ['unknown type', { type: 'semantic' }, 'chunking_strategy.type', "Invalid value: 'semantic'. Supported values are: 'auto' and 'static'."],
    ['type not a string', { type: 3 }, 'chunking_strategy.type', "Invalid type for 'chunking_strategy.type': expected a string, but got an integer instead."],
    ['auto with static', { type: 'auto', static: {} }, 'chunking_strategy.static', "Unknown parameter: 'chunking_strategy.static'."],
    ['static missing', { type: 'static' }, S, `Missing required parameter: '${S}'.`],
    ['static not object', { type: 'static', static: [] }, S, `Invalid type for '${S}': expected an object, but got an array instead.`],
    ['max missing', { type: 'static', static: { chunk_overlap_tokens: 0 } }, `${S}.max_chunk_size_tokens`,
      `Missing required parameter: '${S}.max_chunk_size_tokens'.`],
    ['overlap missing', { type: 'static', static: { max_chunk_size_tokens: 200 } }, `${S}.chunk_overlap_tokens`,
      `Missing required parameter: '${S}.chunk_overlap_tokens'.`],
    ['max below 100', { type: 'static', static: { max_chunk_size_tokens: 99, chunk_overlap_tokens: 0 } }, `${S}.max_chunk_size_tokens`,
      `Invalid '${S}.max_chunk_size_tokens': integer below minimum value. Expected a value >= 100, but got 99 instead.`],
    ['max above 4096', { type: 'static', static: { max_chunk_size_tokens: 4097, chunk_overlap_tokens: 0 } }, `${S}.max_chunk_size_tokens`,
      `Invalid '${S}.max_chunk_size_tokens': integer above maximum value. Expected a value <= 4096, but got 4097 instead.`],
    ['max not integer', { type: 'static', static: { max_chunk_size_tokens: 200.5, chunk_overlap_tokens: 0 } }, `${S}.max_chunk_size_tokens`,
      `Invalid type for '${S}.max_chunk_size_tokens': expected an integer, but got a decimal number instead.`],
    ['max a string', { type: 'static', static: { max_chunk_size_tokens: '200', chunk_overlap_tokens: 0 } }, `${S}.max_chunk_size_tokens`,
      `Invalid type for '${S}.max_chunk_size_tokens': expected an integer, but got a string instead.`],
    ['overlap negative', { type: 'static', static: { max_chunk_size_tokens: 200, chunk_overlap_tokens: -1 } }, `${S}.chunk_overlap_tokens`,
      `Invalid '${S}.chunk_overlap_tokens': integer below minimum value. Expected a value >= 0, but got -1 instead.`],
    ['overlap above half', { type: 'static', static: { max_chunk_size_tokens: 801, chunk_overlap_tokens: 401 } }, `${S}.chunk_overlap_tokens`,
      `Invalid '${S}.chunk_overlap_tokens': chunk_overlap_tokens must not exceed half of max_chunk_size_tokens. Expected a value <= 400, but got 401 instead.`],
    ['unknown static key', { type: 'static', static: { max_chunk_size_tokens: 200, chunk_overlap_tokens: 0, min: 1 } }, `${S}.min`,
      `Unknown parameter: '${S}.min'.`],
  ];
  for (const [name, input, param, message] of cases) {
    it(`rejects ${name}`, () => {
      assert.deepEqual(validateChunkingStrategy(input), { ok: false, param, message });
    });
  }
});
