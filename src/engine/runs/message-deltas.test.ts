import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Annotation } from '../../domain/types.js';
import type { BuiltinTools, MessageTouches } from '../../tools/builtin-tool.js';
import { citationAnnotations, openCitationFrom } from '../../tools/file-citations.js';
import { openLinkFrom, sandboxLinkAnnotations } from '../../tools/sandbox-links.js';
import { MessageDeltas, type ContentDelta } from './message-deltas.js';
import { finalContent, messageTouches, NO_TOUCHES } from './run-messages.js';

const results = [{ file_id: 'file-a', file_name: 'a.pdf', score: 1 }, { file_id: 'file-b', file_name: 'b 2.txt', score: 0.5 }];
const files = new Map([['out.csv', 'file-csv'], ['chart 1.png', 'file-png']]);

// Both tools' touches, combined by the engine as for a run that searched and ran code before its reply.
const tools = {
  file_search: { type: 'file_search', messageTouches: (): MessageTouches => ({ parts: [], annotate: (t) => citationAnnotations(t, [{ results }]), openFrom: openCitationFrom }) },
  code_interpreter: {
    type: 'code_interpreter',
    messageTouches: (): MessageTouches => ({ parts: [{ type: 'image_file', image_file: { file_id: 'file-img' } }], annotate: (t) => sandboxLinkAnnotations(t, files), openFrom: openLinkFrom }),
  },
} as unknown as BuiltinTools;
const since = { calls: [{ id: 'c1', type: 'file_search', file_search: {} }, { id: 'c2', type: 'code_interpreter', code_interpreter: { input: '', outputs: [] } }], earlier: {} } as never;

/** A deterministic generator, so a failure replays. */
function random(seed: number) {
  return () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
}

/** Streams `text` in the given pieces and accumulates the deltas the way the SDK does. */
function accumulate(touches: MessageTouches, pieces: string[]) {
  const deltas = new MessageDeltas(touches);
  const sent: ContentDelta[] = [...deltas.parts()];
  for (const piece of pieces) {
    const d = deltas.push(piece);
    if (d) sent.push(d);
  }
  const last = deltas.end();
  if (last) sent.push(last);
  const content: any[] = [];
  for (const { index, ...part } of sent) {
    if (part.type !== 'text') content[index] = part;
    else {
      const text = part.text as { value: string; annotations: Array<Annotation & { index: number }> };
      const current = content[index] ?? { type: 'text', text: { value: '', annotations: [] } };
      for (const { index: at, ...annotation } of text.annotations) {
        assert.equal(at, current.text.annotations.length, 'annotations arrive in order');
        const soFar = [...current.text.value + text.value];
        assert.equal(soFar.slice(annotation.start_index, annotation.end_index).join(''), annotation.text, 'an annotation arrives with its text');
        current.text.annotations.push(annotation);
      }
      current.text.value += text.value;
      content[index] = current;
    }
  }
  return content;
}

describe('message deltas', () => {
  const text =
    'See 【0:0†a.pdf】 and 【0:1†b 2.txt】, not 【3:9†zzz】 nor 【0:0 or 【x】. Data: [csv](sandbox:/mnt/data/out.csv), ' +
    'chart sandbox:/mnt/data/chart%201.png. and sandbox:/mnt/data/missing.txt, sandbox:/mnt/data/out.csv.bak 📈 end 【0:0†a.pdf】';

  it('add up to the final content however the model splits its text', () => {
    const touches = messageTouches(tools, since);
    const expected = finalContent(touches, text);
    assert.equal(expected[1]!.type === 'text' && expected[1].text.annotations.length, 5);
    const next = random(42);
    for (let round = 0; round < 300; round++) {
      const pieces: string[] = [];
      for (let at = 0; at < text.length; ) {
        const size = 1 + Math.floor(next() * (round % 3 === 0 ? 3 : 25));
        pieces.push(text.slice(at, at + size));
        at += size;
      }
      assert.deepEqual(accumulate(touches, pieces), expected, JSON.stringify(pieces));
    }
  });

  it('pass text straight through when nothing can be annotated', () => {
    const deltas = new MessageDeltas(NO_TOUCHES);
    assert.deepEqual(deltas.parts(), []);
    assert.deepEqual(deltas.push('【0:0'), { index: 0, type: 'text', text: { value: '【0:0', annotations: [] } });
    assert.equal(deltas.end(), undefined);
  });
});
