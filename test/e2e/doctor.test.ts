import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { startChatUpstream } from '../support/chat-upstream.js';
import { runCli } from '../support/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'assistd-doctor-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('doctor: one line per check, the failing provider named with what to fix, exit 1', async () => {
  const upstream = await startChatUpstream();
  try {
    const config = join(dir, 'assistd.yaml');
    writeFileSync(config, [
      'models:',
      '  - name: working',
      '    provider: openai-compatible',
      `    base_url: ${upstream.baseURL}`,
      '  - name: broken',
      '    provider: openai-compatible',
      '    base_url: http://127.0.0.1:1/v1',
      '',
    ].join('\n'));
    const result = await runCli(['doctor', 'scripted', '--config', config, '--data-dir', join(dir, 'data')]);
    const lines = result.stdout.trimEnd().split('\n');
    assert.match(lines[0]!, /^FAIL {2}database +SQLite .*: \d+ migration\(s\) pending: run assistd migrate/);
    assert.match(lines[1]!, /^(ok|FAIL) +sandbox /);
    assert.ok(lines.some((l) => /^ok +model working +answered/.test(l)), result.stdout);
    assert.ok(lines.some((l) => /^FAIL +model broken +could not reach http:\/\/127\.0\.0\.1:1\/v1\S* .*check base_url of the models: entry "broken"/.test(l)), result.stdout);
    assert.ok(lines.some((l) => /^ok +model scripted +answered/.test(l)));
    assert.equal(result.code, 1);

    const migrated = await runCli(['migrate', '--data-dir', join(dir, 'data')]);
    assert.equal(migrated.code, 0);
    const again = await runCli(['doctor', '--data-dir', join(dir, 'data')]);
    assert.match(again.stdout, /^ok {4}database +SQLite .*, migrations up to date$/m);
  } finally {
    await upstream.close();
  }
});
