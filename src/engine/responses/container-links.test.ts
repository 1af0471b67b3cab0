import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ContainerFileObject } from '../../domain/containers.js';
import { CitationText } from './response-citations.js';
import { chainAnnotators, ContainerLinkText, type TextAnnotator } from './container-links.js';

const file: ContainerFileObject = { id: 'cfile_1', object: 'container.file', container_id: 'cntr_1', created_at: 0, bytes: 3, path: '/mnt/data/out.csv', source: 'assistant' };
const files = new Map([['out.csv', file]]);

function feed(annotator: TextAnnotator, deltas: string[]) {
  const parts = [...deltas.map((d) => annotator.push(d)), annotator.flush()];
  return { text: parts.map((p) => p.text).join(''), annotations: parts.flatMap((p) => p.annotations) };
}

test('links to container files become container_file_citation annotations spanning the link, however the text is split', () => {
  const text = '🚀 See [the file](sandbox:/mnt/data/out.csv). Not [this](sandbox:/mnt/data/other.csv).';
  const whole = feed(new ContainerLinkText(files), [text]);
  assert.equal(whole.text, text);
  const start = [...text.slice(0, text.indexOf('sandbox:'))].length;
  assert.deepEqual(whole.annotations, [{ type: 'container_file_citation', container_id: 'cntr_1', file_id: 'cfile_1', filename: 'out.csv', start_index: start, end_index: start + 'sandbox:/mnt/data/out.csv'.length }]);
  for (let cut = 1; cut < text.length; cut++) {
    assert.deepEqual(feed(new ContainerLinkText(files), [text.slice(0, cut), text.slice(cut)]), whole, `cut at ${cut}`);
  }
});

test('after file_search citations, link indexes count the text without the markers', () => {
  const calls = [{ results: [{ file_id: 'file-a', file_name: 'a.md', score: 0.9, content: [{ type: 'text' as const, text: 'alpha' }] }] }];
  const out = feed(chainAnnotators(new CitationText(calls), new ContainerLinkText(files)), ['Per a【0:0†a.md】, see sandbox:/mnt/data/', 'out.csv']);
  assert.equal(out.text, 'Per a, see sandbox:/mnt/data/out.csv');
  assert.deepEqual(out.annotations.map((a) => a.type), ['file_citation', 'container_file_citation']);
  assert.equal((out.annotations[1] as { start_index: number }).start_index, 'Per a, see '.length);
});
