import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from './config.js';

describe('ASSISTD_CODE_FORK_SERVER', () => {
  it('is on by default and turned off by false or 0', () => {
    assert.equal(loadConfig({}, {}).codeForkServer, true);
    assert.equal(loadConfig({}, { ASSISTD_CODE_FORK_SERVER: 'false' }).codeForkServer, false);
    assert.equal(loadConfig({}, { ASSISTD_CODE_FORK_SERVER: '0' }).codeForkServer, false);
    assert.equal(loadConfig({}, { ASSISTD_CODE_FORK_SERVER: 'true' }).codeForkServer, true);
    assert.throws(() => loadConfig({}, { ASSISTD_CODE_FORK_SERVER: 'maybe' }));
  });
});
