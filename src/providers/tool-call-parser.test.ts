import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ToolCallParser, type ParsedPiece } from './tool-call-parser.js';

/** Feeds `deltas` one by one; returns what came out after each push, and at the end. */
function feed(deltas: string[], offered = ['get_weather']) {
  const parser = new ToolCallParser(new Set(offered));
  const steps = deltas.map((d) => parser.push(d));
  const end = parser.end();
  return { steps, end, all: [...steps.flat(), ...end] };
}

const text = (pieces: ParsedPiece[]) => pieces.flatMap((p) => (p.type === 'text' ? [p.text] : [])).join('');
const calls = (pieces: ParsedPiece[]) => pieces.flatMap((p) => (p.type === 'call' ? [p.call] : []));

describe('tool call parser', () => {
  test('plain text streams as it comes, holding back only a possible start of a tag', () => {
    const { steps, end } = feed(['Hello ', 'there, the sign <', 'b>bold</b> ok']);
    assert.deepEqual(steps.map(text), ['Hello ', 'there, the sign ', '<b>bold</b> ok']);
    assert.deepEqual(end, []);
  });

  test('a tagged call split across deltas, after some text', () => {
    const { steps, all } = feed(['Let me check. <to', 'ol_call>\n{"name": "get_weather", ', '"arguments": {"city": "Paris"}}\n</tool', '_call>']);
    assert.equal(text(steps[0]!), 'Let me check. ');
    assert.deepEqual(steps.slice(1, 3).flat(), [], 'an open block is held back');
    assert.deepEqual(calls(all), [{ name: 'get_weather', arguments: '{"city":"Paris"}' }]);
    assert.equal(text(all), 'Let me check. ');
  });

  test('several blocks, string arguments, a missing close tag at the end', () => {
    const { all } = feed(['<tool_call>{"name":"a","arguments":"{\\"x\\":1}"}</tool_call>\n<tool_call>{"name":"b","parameters":{"y":2}}']);
    assert.deepEqual(calls(all), [{ name: 'a', arguments: '{"x":1}' }, { name: 'b', arguments: '{"y":2}' }]);
    assert.equal(text(all).trim(), '');
  });

  test('a bare JSON reply is a call only when it names an offered tool', () => {
    assert.deepEqual(calls(feed(['```json\n{"name": "get_weather",', ' "arguments": {"city": "Oslo"}}\n```']).all), [{ name: 'get_weather', arguments: '{"city":"Oslo"}' }]);
    const answer = feed(['{"name": "Ada", ', '"age": 36}']);
    assert.deepEqual(answer.steps.flat(), [], 'held while it could be a call');
    assert.equal(text(answer.all), '{"name": "Ada", "age": 36}');
  });

  test('a block that is not a call stays text; leading whitespace before a call is dropped', () => {
    assert.equal(text(feed(['<tool_call>not json</tool_call> done']).all), '<tool_call>not json</tool_call> done');
    const { all } = feed(['\n\n', '<tool_call>{"name":"get_weather","arguments":{}}</tool_call>']);
    assert.deepEqual(all, [{ type: 'call', call: { name: 'get_weather', arguments: '{}' } }]);
  });

  test('a code fence that is not JSON streams as text', () => {
    const { steps } = feed(['``', '`python\nprint(1)\n```']);
    assert.deepEqual(steps[0], []);
    assert.equal(text(steps[1]!), '```python\nprint(1)\n```');
  });
});
