import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig } from './config.js';

/** Loads `yaml` as the config file. */
function withFile(yaml: string, env: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'assistd-config-limits-'));
  try {
    writeFileSync(join(dir, 'assistd.yaml'), yaml);
    return loadConfig({}, { ...env, ASSISTD_CONFIG: join(dir, 'assistd.yaml') });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('max_open_streams', () => {
  it('2000 by default; from the file or ASSISTD_MAX_OPEN_STREAMS (which wins)', () => {
    assert.equal(loadConfig({}, {}).maxOpenStreams, 2000);
    assert.equal(withFile('max_open_streams: 50\n').maxOpenStreams, 50);
    assert.equal(withFile('max_open_streams: 50\n', { ASSISTD_MAX_OPEN_STREAMS: '7' }).maxOpenStreams, 7);
  });

  it('refuses zero, negatives and non-numbers, naming the setting', () => {
    for (const bad of ['0', '-1', 'many', '1.5']) assert.throws(() => loadConfig({}, { ASSISTD_MAX_OPEN_STREAMS: bad }), /invalid setting ASSISTD_MAX_OPEN_STREAMS in the environment/);
  });
});

describe('rate_limits.keys', () => {
  it("gives a key its own limits over per_key's: a field left out is per_key's, null lifts it", () => {
    const limits = withFile('rate_limits:\n  per_key: { requests_per_minute: 60, tokens_per_minute: 1000 }\n  keys:\n    key_abc: { requests_per_minute: 600 }\n    batch: { tokens_per_minute: null, concurrent_runs: 3 }\n').rateLimits!;
    assert.deepEqual(limits.key, { requestsPerMinute: 60, tokensPerMinute: 1000 });
    assert.deepEqual(limits.keys.get('key_abc'), { requestsPerMinute: 600, tokensPerMinute: 1000 });
    assert.deepEqual(limits.keys.get('batch'), { requestsPerMinute: 60, concurrentRuns: 3 });
  });

  it('refuses an entry that sets nothing, an unknown field and a bad number, naming the entry', () => {
    assert.throws(() => withFile('rate_limits:\n  keys:\n    batch: {}\n'), /invalid setting 'rate_limits\.keys\.batch' .*sets no limit/);
    assert.throws(() => withFile('rate_limits:\n  keys:\n    batch: { rpm: 5 }\n'), /unknown setting 'rate_limits\.keys\.batch\.rpm'/);
    assert.throws(() => withFile('rate_limits:\n  keys:\n    batch: { concurrent_runs: 0 }\n'), /invalid setting 'rate_limits\.keys\.batch\.concurrent_runs'/);
    assert.throws(() => withFile('rate_limits:\n  keys:\n    batch: 5\n'), /invalid setting 'rate_limits\.keys\.batch'/);
  });
});
