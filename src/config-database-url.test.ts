import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from './config.js';

describe('DATABASE_URL', () => {
  it('accepts postgres:// and postgresql:// URLs', () => {
    assert.equal(loadConfig({}, { DATABASE_URL: 'postgres://u:p@db/x' }).databaseUrl, 'postgres://u:p@db/x');
    assert.equal(loadConfig({}, { DATABASE_URL: 'postgresql://db/x' }).databaseUrl, 'postgresql://db/x');
  });

  it('refuses any other URL at start-up, naming the variable and not the value', () => {
    for (const url of ['mysql://root:secret@db/x', 'postgress://db/x', 'db.internal:5432']) {
      assert.throws(() => loadConfig({}, { DATABASE_URL: url }), (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.match(err.message, /^DATABASE_URL must be a postgres:\/\/ or postgresql:\/\/ URL/);
        assert.doesNotMatch(err.message, /secret|db\.internal/);
        return true;
      });
    }
  });

  it('names the flag when the URL came from the command line', () => {
    assert.throws(() => loadConfig({ database_url: 'mongodb://x' }, {}), /^Error: --database-url must be/);
  });
});
