import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { openLinkFrom, parseSavedFiles, sandboxLinkAnnotations, savedFilesOutput } from './sandbox-links.js';

describe('saved files output', () => {
  it('round-trips through the stored logs, names with spaces and parentheses included', () => {
    const files = [{ name: 'out.csv', fileId: 'file-abc123' }, { name: 'reports/a (1).txt', fileId: 'file-Z9' }];
    const output = savedFilesOutput(files);
    assert.equal(output.type, 'logs');
    assert.deepEqual(parseSavedFiles(output), files);
  });

  it('ignores logs that only look alike', () => {
    assert.equal(parseSavedFiles({ type: 'logs', logs: 'Files saved from /mnt/data:' }), undefined);
    assert.equal(parseSavedFiles({ type: 'logs', logs: 'Files saved from /mnt/data:\nhello (file-1)' }), undefined);
    assert.equal(parseSavedFiles({ type: 'logs', logs: 'printed\nFiles saved from /mnt/data:\n/mnt/data/x (file-1)' }), undefined);
    assert.equal(parseSavedFiles({ type: 'image', image: { file_id: 'file-1' } }), undefined);
  });
});

describe('sandbox link annotations', () => {
  const files = new Map([['out.csv', 'file-out'], ['my file.txt', 'file-space'], ['reports/sum.txt', 'file-sum']]);

  it('marks the sandbox path of a Markdown link with exact indexes', () => {
    const text = 'Here it is: [Download](sandbox:/mnt/data/out.csv) and more.';
    const [annotation, ...rest] = sandboxLinkAnnotations(text, files);
    assert.deepEqual(rest, []);
    assert.deepEqual(annotation, {
      type: 'file_path',
      text: 'sandbox:/mnt/data/out.csv',
      start_index: text.indexOf('sandbox:'),
      end_index: text.indexOf(')'),
      file_path: { file_id: 'file-out' },
    });
  });

  it('handles trailing punctuation, %-escapes and subdirectories; leaves unknown files alone', () => {
    const text = 'See sandbox:/mnt/data/out.csv. Also sandbox:/mnt/data/my%20file.txt, sandbox:/mnt/data/reports/sum.txt and sandbox:/mnt/data/nope.csv';
    const found = sandboxLinkAnnotations(text, files);
    assert.deepEqual(found.map((a) => [a.text, a.type === 'file_path' && a.file_path.file_id]), [
      ['sandbox:/mnt/data/out.csv', 'file-out'],
      ['sandbox:/mnt/data/my%20file.txt', 'file-space'],
      ['sandbox:/mnt/data/reports/sum.txt', 'file-sum'],
    ]);
    for (const a of found) assert.equal(text.slice(a.start_index, a.end_index), a.text);
  });

  it('counts indexes in code points, as the hosted API did', () => {
    const text = '📈 [csv](sandbox:/mnt/data/out.csv)';
    const [annotation] = sandboxLinkAnnotations(text, files);
    assert.equal(annotation!.start_index, text.indexOf('sandbox:') - 1, 'the chart emoji is one character, two UTF-16 units');
    assert.equal([...text].slice(annotation!.start_index, annotation!.end_index).join(''), 'sandbox:/mnt/data/out.csv');
  });

  it('holds back streamed text only while it may still be a link', () => {
    for (const [text, open] of [['plain text', 10], ['see s', 4], ['see sandbox:/mnt/da', 4], ['see sandbox:/mnt/data/out.c', 4], ['[a](sandbox:/mnt/data/out.csv)', 30], ['x sandbox:/mnt/data/a b', 23]] as const) {
      assert.equal(openLinkFrom(text), open, text);
    }
  });
});
