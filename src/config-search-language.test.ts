import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from './config.js';

describe('search_language', () => {
  it('english by default; none on any database; Snowball languages on Postgres', () => {
    assert.equal(loadConfig({}, {}).searchLanguage, 'english');
    assert.equal(loadConfig({}, { ASSISTD_SEARCH_LANGUAGE: 'none' }).searchLanguage, 'none');
    assert.equal(loadConfig({}, { ASSISTD_SEARCH_LANGUAGE: 'german', DATABASE_URL: 'postgres://db/x' }).searchLanguage, 'german');
  });

  it('refuses a language SQLite cannot stem, and unknown ones', () => {
    assert.throws(() => loadConfig({}, { ASSISTD_SEARCH_LANGUAGE: 'german' }), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.match(err.message, /^search_language german needs Postgres/);
      return true;
    });
    assert.throws(() => loadConfig({}, { ASSISTD_SEARCH_LANGUAGE: 'klingon' }), /invalid setting ASSISTD_SEARCH_LANGUAGE/);
  });
});
