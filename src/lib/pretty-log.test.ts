import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatLogRecord } from './pretty-log.js';

const time = Date.UTC(2026, 0, 2, 3, 4, 5, 6);

test('a short record is one line: time, level, message, key=value', () => {
  const line = formatLogRecord({ level: 30, time, pid: 1, hostname: 'h', msg: 'request', method: 'GET', route: '/v1/assistants', status: 200, note: 'two words' });
  assert.equal(line, '03:04:05.006 INFO  request method=GET route=/v1/assistants status=200 note="two words"\n');
});

test('a long record (the banner) puts each field on its own line; an error shows its stack', () => {
  const banner = formatLogRecord({ level: 30, time, msg: 'assistd 1.0.0 is listening', url: 'http://127.0.0.1:8080', database: 'SQLite /var/lib/assistd/data/assistd.sqlite', models: 'scripted (built in); gpt-4o → azure https://example.openai.azure.com' });
  assert.deepEqual(banner.split('\n').slice(0, 3), ['03:04:05.006 INFO  assistd 1.0.0 is listening', '    url       http://127.0.0.1:8080', '    database  SQLite /var/lib/assistd/data/assistd.sqlite']);
  const failed = formatLogRecord({ level: 50, time, msg: 'failed', err: { message: 'boom', stack: 'Error: boom\n    at x' } });
  assert.equal(failed, '03:04:05.006 ERROR failed\n    Error: boom\n        at x\n');
});
