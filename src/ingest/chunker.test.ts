import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encode } from 'gpt-tokenizer/encoding/cl100k_base';
import { fixtureContent } from '../../test/support/fixtures/fixture-content.js';
import { chunkText } from './chunker.js';
import type { Chunk } from './ingest.js';

const PLAIN = { disallowedSpecial: new Set<string>() };
const count = (s: string) => encode(s, PLAIN).length;

// Prose with paragraphs and line breaks, deterministic.
function prose(words: number, seed = 1): string {
  const c = fixtureContent('x', { words, seed });
  return [...c.before, ...c.after].map((p, i) => (i % 3 === 2 ? p.replace(/ /, '\n') : p)).join('\n\n');
}

// Each chunk is a slice of the text; recover where, checking that consecutive chunks leave no gap.
function spans(text: string, chunks: Chunk[]): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let from = 0;
  for (const c of chunks) {
    const start = text.indexOf(c.text, from);
    assert.ok(start >= 0, `chunk ${c.index} is not a slice of the text`);
    if (out.length > 0) assert.ok(start <= out[out.length - 1][1], `gap before chunk ${c.index}`);
    out.push([start, start + c.text.length]);
    from = start + 1;
  }
  assert.equal(out[0][0], 0);
  assert.equal(out[out.length - 1][1], text.length);
  return out;
}

describe('chunkText', () => {
  it('keeps a short text in one chunk with its exact token count', () => {
    const text = 'The vault code for project Kestrel is 7Q4-ZEBRA-19.\nSecond line.';
    const { chunks, tokens } = chunkText(text, { maxTokens: 800, overlapTokens: 400 });
    assert.deepEqual(chunks, [{ index: 0, text, tokens: count(text) }]);
    assert.equal(tokens, count(text));
  });

  it('auto: chunks of at most 800 tokens, ~400 tokens of overlap, counts that match the tokenizer', () => {
    const text = prose(6000);
    const { chunks, tokens } = chunkText(text, { maxTokens: 800, overlapTokens: 400 });
    assert.equal(tokens, count(text));
    assert.ok(chunks.length >= 14, `only ${chunks.length} chunks`);
    const at = spans(text, chunks);
    chunks.forEach((c, i) => {
      assert.equal(c.index, i);
      assert.ok(c.tokens <= 800, `chunk ${i} has ${c.tokens} tokens`);
      assert.ok(Math.abs(count(c.text) - c.tokens) <= 1, `chunk ${i}: reported ${c.tokens}, tokenizer ${count(c.text)}`);
      if (i < chunks.length - 1) assert.ok(c.tokens >= 600, `chunk ${i} is only ${c.tokens} tokens`);
      if (i > 0) {
        const overlap = count(text.slice(at[i][0], at[i - 1][1]));
        assert.ok(overlap <= 401 && overlap >= 390, `overlap before chunk ${i} is ${overlap} tokens`);
      }
    });
  });

  it('static: honours max and overlap, and overlap 0 partitions the text exactly', () => {
    const text = prose(3000, 2);
    for (const [max, overlap] of [[100, 0], [100, 50], [1000, 100], [4096, 2048]]) {
      const { chunks } = chunkText(text, { maxTokens: max, overlapTokens: overlap });
      const at = spans(text, chunks);
      for (const c of chunks) assert.ok(c.tokens <= max && count(c.text) <= max + 1, `${max}/${overlap}: ${c.tokens}`);
      for (let i = 1; i < chunks.length; i++) {
        const shared = count(text.slice(at[i][0], at[i - 1][1]));
        assert.ok(shared <= overlap + 1 && shared >= overlap - 10, `${max}/${overlap}: overlap ${shared}`);
      }
      if (overlap === 0) assert.equal(chunks.map((c) => c.text).join(''), text);
    }
  });

  it('prefers to end chunks at line ends', () => {
    const lines = Array.from({ length: 400 }, (_, i) => `Line ${i}: ${'lorem ipsum dolor sit amet '.repeat(1 + (i % 4))}`.trim());
    const { chunks } = chunkText(lines.join('\n'), { maxTokens: 200, overlapTokens: 0 });
    const endsAtLine = chunks.slice(0, -1).filter((c) => c.text.endsWith('\n')).length;
    assert.equal(endsAtLine, chunks.length - 1);
  });

  it('splits unbroken runs and multi-byte text without breaking characters', () => {
    const run = 'QmFzZTY0IGlzIG5vdCBzZWFyY2hhYmxl'.repeat(400);
    const cjk = '検索可能なテキストの分割を確認します。😀'.repeat(300);
    for (const text of [run, cjk, `${run}\n${cjk}`]) {
      const { chunks } = chunkText(text, { maxTokens: 100, overlapTokens: 0 });
      assert.equal(chunks.map((c) => c.text).join(''), text);
      for (const c of chunks) {
        assert.ok(c.tokens <= 100);
        assert.ok(!c.text.includes('\uFFFD'));
      }
    }
  });

  it('treats special-token text as ordinary content and is deterministic', () => {
    const text = `before <|endoftext|> after\n${prose(2000, 3)}`;
    const a = chunkText(text, { maxTokens: 300, overlapTokens: 100 });
    assert.deepEqual(chunkText(text, { maxTokens: 300, overlapTokens: 100 }), a);
    assert.ok(a.chunks[0].text.includes('<|endoftext|>'));
  });

  it('chunks a few megabytes in linear time', () => {
    const text = prose(400_000, 4);
    const started = performance.now();
    const { chunks } = chunkText(text, { maxTokens: 800, overlapTokens: 400 });
    const ms = performance.now() - started;
    assert.ok(text.length > 2_000_000 && chunks.length > 500);
    assert.ok(ms < 15_000, `took ${ms.toFixed(0)} ms`);
  });
});
