import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { codeFromArguments } from './code-arguments.js';

describe('codeFromArguments', () => {
  it('reads {"code": …} as asked', () => {
    assert.deepEqual(codeFromArguments('{"code": "print(1)\\nx = 2"}'), { code: 'print(1)\nx = 2' });
  });

  it('takes raw code, a JSON string, or a lone string under another key', () => {
    assert.deepEqual(codeFromArguments('import math\nprint(math.pi)'), { code: 'import math\nprint(math.pi)' });
    assert.deepEqual(codeFromArguments('"print(2)"'), { code: 'print(2)' });
    assert.deepEqual(codeFromArguments('{"input": "print(3)"}'), { code: 'print(3)' });
    assert.deepEqual(codeFromArguments('[1, 2]'), { code: '[1, 2]' });
    assert.deepEqual(codeFromArguments('42'), { code: '42' });
  });

  it('repairs raw newlines inside the JSON string', () => {
    assert.deepEqual(codeFromArguments('{"code": "for i in range(2):\n\tprint(\\"hi\\")"}'), { code: 'for i in range(2):\n\tprint("hi")' });
  });

  it('strips a Markdown fence around the code', () => {
    assert.deepEqual(codeFromArguments(JSON.stringify({ code: '```python\nprint(4)\n```' })), { code: 'print(4)' });
    assert.deepEqual(codeFromArguments('```\nprint(5)\n```'), { code: 'print(5)' });
  });

  it('reports arguments without code as an error value', () => {
    assert.match((codeFromArguments('') as { error: string }).error, /no code/);
    assert.match((codeFromArguments('{"code": "  "}') as { error: string }).error, /no code/);
    assert.match((codeFromArguments('{"a": 1, "b": 2}') as { error: string }).error, /hold no code/);
  });
});
