import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from './config.js';
import { backupSqlite } from './ops/backup.js';

const keys = { AWS_ACCESS_KEY_ID: 'AK', AWS_SECRET_ACCESS_KEY: 'SK' };

describe('ASSISTD_BLOB_URL', () => {
  it('is unset by default: file bytes stay in the data directory', () => {
    assert.equal(loadConfig({}, {}).objectStorage, undefined);
  });

  it('takes the bucket and prefix from the URL, and the rest from the AWS variables', () => {
    const config = loadConfig({}, { ...keys, ASSISTD_BLOB_URL: 's3://files.example/assistd/prod/', AWS_ENDPOINT_URL: 'http://minio:9000', AWS_REGION: 'eu-west-1', ASSISTD_BLOB_PATH_STYLE: 'true', ASSISTD_BLOB_CACHE_MB: '10' });
    assert.deepEqual(config.objectStorage, {
      bucket: 'files.example',
      prefix: 'assistd/prod/',
      region: 'eu-west-1',
      endpoint: 'http://minio:9000',
      pathStyle: true,
      accessKeyId: 'AK',
      secretAccessKey: 'SK',
      sessionToken: undefined,
      cacheBytes: 10 * 1024 * 1024,
    });
    const plain = loadConfig({}, { ...keys, ASSISTD_BLOB_URL: 's3://bucket' }).objectStorage!;
    assert.deepEqual([plain.prefix, plain.region, plain.endpoint, plain.pathStyle], ['', 'us-east-1', undefined, false]);
  });

  it('refuses a URL that is not s3://, or missing credentials, at start', () => {
    assert.throws(() => loadConfig({}, { ...keys, ASSISTD_BLOB_URL: 'https://bucket/x' }), /ASSISTD_BLOB_URL/);
    assert.throws(() => loadConfig({}, { ASSISTD_BLOB_URL: 's3://bucket' }), /needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY/);
  });

  it('makes `assistd backup` refuse, since it would copy no file bytes', async () => {
    const config = loadConfig({}, { ...keys, ASSISTD_BLOB_URL: 's3://bucket' });
    await assert.rejects(backupSqlite(config, '/nonexistent'), (err: unknown) => err instanceof ConfigError && /object storage/.test(err.message));
  });
});
