import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CitationText } from './response-citations.js';

const calls = [{ results: [{ file_id: 'file-a', file_name: 'a.md', score: 0.9, content: [{ type: 'text' as const, text: 'alpha' }] }] }];

function feed(deltas: string[]) {
  const citations = new CitationText(calls);
  const parts = [...deltas.map((d) => citations.push(d)), citations.flush()];
  return { text: parts.map((p) => p.text).join(''), annotations: parts.flatMap((p) => p.annotations) };
}

test('markers become file_citation annotations at their place in the remaining text, in code points', () => {
  const whole = feed(['Émoji 🚀 first.【0:0†a.md】 Then【0:0】 end.']);
  assert.equal(whole.text, 'Émoji 🚀 first. Then end.');
  assert.deepEqual(whole.annotations, [
    { type: 'file_citation', file_id: 'file-a', filename: 'a.md', index: 14 },
    { type: 'file_citation', file_id: 'file-a', filename: 'a.md', index: 19 },
  ]);
  // Split anywhere, the same text and annotations come out.
  const text = 'Émoji 🚀 first.【0:0†a.md】 Then【0:0】 end.';
  for (let cut = 1; cut < text.length; cut++) assert.deepEqual(feed([text.slice(0, cut), text.slice(cut)]), whole);
});

test('a marker that names no result stays as text, and so does one never finished', () => {
  assert.deepEqual(feed(['See 【3:9†b.md】 and 【0:0†a']), { text: 'See 【3:9†b.md】 and 【0:0†a', annotations: [] });
});
