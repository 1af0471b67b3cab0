import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Annotation } from '../../../src/domain/types';
import { renderMessageText, renderResponseText } from './markdown';

test('citations become numbered footnote references, one number per cited file', () => {
  const value = 'A【0:0†a.txt】 and B【0:1†b.txt】 and A again【0:2†a.txt】.';
  const cite = (text: string, fileId: string): Annotation => {
    const start = value.indexOf(text);
    return { type: 'file_citation', text, start_index: start, end_index: start + text.length, file_citation: { file_id: fileId } };
  };
  const out = renderMessageText(value, [cite('【0:2†a.txt】', 'file-a'), cite('【0:0†a.txt】', 'file-a'), cite('【0:1†b.txt】', 'file-b')], 'm');
  assert.deepEqual(out.citations, [{ n: 1, fileId: 'file-a' }, { n: 2, fileId: 'file-b' }]);
  assert.equal((out.html.match(/class="cite"/g) ?? []).length, 3);
  assert.match(out.html, /A<sup class="cite"><a href="#m-fn-1" id="m-ref-1" aria-label="citation 1">\[1\]<\/a><\/sup> and B<sup class="cite"><a href="#m-fn-2"/);
  assert.doesNotMatch(out.html, /【/);
});

test('sandbox paths with a file_path annotation become download links; others stay inert', () => {
  const value = 'Get [the data](sandbox:/mnt/data/x.csv) or [that](sandbox:/mnt/data/y.csv).';
  const text = 'sandbox:/mnt/data/x.csv';
  const start = value.indexOf(text);
  const out = renderMessageText(value, [{ type: 'file_path', text, start_index: start, end_index: start + text.length, file_path: { file_id: 'file-x1' } }], 'm');
  assert.match(out.html, /<a href="#" class="file-link" data-file-id="file-x1" title="Download">the data<\/a>/);
  assert.match(out.html, /<span class="file-pending" title="sandbox:\/mnt\/data\/y.csv">that<\/span>/);
});

test('model output cannot inject markup or script links; code blocks are highlighted', () => {
  const out = renderMessageText('<img src=x onerror=alert(1)> [x](javascript:alert(1)) <b>hi</b>\n\n```python\nprint("hi")\n```', [], 'm');
  assert.doesNotMatch(out.html, /<img|<b>|javascript:/);
  assert.match(out.html, /&#60;img src=x onerror=alert\(1\)&#62;/);
  assert.match(out.html, /<pre class="code-block"><span class="code-lang">python<\/span><code class="hljs"><span class="hljs-built_in">print<\/span>/);
});

test('Responses citations are placed at their index, counted in code points, one number per file', () => {
  const value = 'Ünïcode 🎉 fact. Other fact.';
  const at = Array.from('Ünïcode 🎉 fact.').length;
  const out = renderResponseText(value, [
    { type: 'file_citation', file_id: 'file-a', filename: 'a.md', index: at },
    { type: 'file_citation', file_id: 'file-b', filename: 'b.md', index: Array.from(value).length },
    { type: 'file_citation', file_id: 'file-a', filename: 'a.md', index: 0 },
    { type: 'url_citation' },
  ], 'r');
  assert.deepEqual(out.citations, [{ n: 1, fileId: 'file-a', filename: 'a.md' }, { n: 2, fileId: 'file-b', filename: 'b.md' }]);
  assert.match(out.html, /^<p><sup class="cite"><a href="#r-fn-1"[^>]*>\[1\]<\/a><\/sup>Ünïcode 🎉 fact\.<sup class="cite"><a href="#r-fn-1"[^>]*>\[1\]<\/a><\/sup> Other fact\.<sup class="cite"><a href="#r-fn-2"/);
});

test('a container file citation numbers the file it cites, after the span it covers', () => {
  const value = 'Saved [chart.png](sandbox:/mnt/data/chart.png) for you.';
  const end = value.indexOf(' for you');
  const out = renderResponseText(value, [{ type: 'container_file_citation', container_id: 'cntr_1', file_id: 'cfile_1', filename: 'chart.png', start_index: 6, end_index: end }], 'c');
  assert.deepEqual(out.citations, [{ n: 1, fileId: 'cfile_1', filename: 'chart.png', containerId: 'cntr_1' }]);
  assert.match(out.html, /<span class="file-pending"[^>]*>chart\.png<\/span><sup class="cite"><a href="#c-fn-1"/);
});

test('a container file citation over a sandbox: link target makes the link download the file, numbered after it', () => {
  const value = 'Here is [the report](sandbox:/mnt/data/report.csv).';
  const start = value.indexOf('sandbox:');
  const annotation = { type: 'container_file_citation', container_id: 'cntr_1', file_id: 'cfile_1', filename: 'report.csv', start_index: start, end_index: start + 'sandbox:/mnt/data/report.csv'.length };
  const out = renderResponseText(value, [annotation], 'c');
  assert.deepEqual(out.citations, [{ n: 1, fileId: 'cfile_1', filename: 'report.csv', containerId: 'cntr_1' }]);
  assert.match(out.html, /^<p>Here is <a href="#" class="file-link" data-container-id="cntr_1" data-file-id="cfile_1" title="Download">the report<\/a><sup class="cite"><a href="#c-fn-1"[^>]*>\[1\]<\/a><\/sup>\.<\/p>/);
});
