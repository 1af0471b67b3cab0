import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { startTestS3, type TestS3 } from '../../test/support/s3-server.js';
import { BlobTooLargeError } from './blob-store.js';
import { createS3Client } from './s3-client.js';
import { createS3BlobStore } from './s3-blob-store.js';

const MIB = 1024 * 1024;

describe('the S3 blob store, against a real S3-protocol server', () => {
  let s3: TestS3;
  let dir: string;
  const settings = (over: Record<string, unknown> = {}) => ({ bucket: s3.bucket, prefix: 'tenant/', region: 'us-east-1', endpoint: s3.endpoint, pathStyle: true, accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER', sessionToken: undefined, ...over });
  const open = (cacheBytes = 64 * MIB, over: Record<string, unknown> = {}) => createS3BlobStore({ s3: settings(over), cacheDir: join(dir, 'cache'), cacheBytes });
  const patterned = (bytes: number) => {
    const out = Buffer.alloc(bytes);
    for (let i = 0; i < bytes; i++) out[i] = (i * 31 + (i >> 9)) & 0xff;
    return out;
  };
  /** Keys in the bucket under the prefix, straight from the server. */
  const listed = async () => {
    const xml = await (await createS3Client(settings()).sendOk({ method: 'GET', key: '', query: { 'list-type': '2', prefix: 'tenant/' } })).text();
    return [...xml.matchAll(/<Key>([^<]*)<\/Key>/g)].map((m) => m[1]);
  };

  before(async () => {
    s3 = await startTestS3();
    dir = mkdtempSync(join(tmpdir(), 'assistd-s3-store-'));
  });
  after(async () => {
    await s3.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a small blob is one object under the prefix, read back byte-exact', async () => {
    const blobs = open();
    const bytes = patterned(1000);
    assert.deepEqual(await blobs.write('file-small', Readable.from([bytes.subarray(0, 10), bytes.subarray(10)]), MIB), { bytes: 1000 });
    assert.ok((await listed()).includes('tenant/file-small'));
    assert.deepEqual(Buffer.concat(await blobs.read('file-small').toArray()), bytes);
  });

  test('a large blob goes up in parts and comes back byte-exact, streamed and as a cached local file', async () => {
    const blobs = open();
    const bytes = patterned(19 * MIB + 123);
    const chunks = Array.from({ length: 20 }, (_, i) => bytes.subarray(i * MIB, (i + 1) * MIB));
    assert.deepEqual(await blobs.write('file-large', Readable.from(chunks), 64 * MIB), { bytes: bytes.length });
    assert.ok(Buffer.concat(await blobs.read('file-large').toArray()).equals(bytes));
    const path = await blobs.localPath('file-large');
    assert.ok(readFileSync(path).equals(bytes));
  });

  test('a blob over the limit fails and leaves no object, in one PUT or in parts', async () => {
    const blobs = open();
    await assert.rejects(blobs.write('file-over-small', Readable.from([patterned(2000)]), 1000), BlobTooLargeError);
    const chunks = Array.from({ length: 12 }, () => patterned(MIB));
    await assert.rejects(blobs.write('file-over-large', Readable.from(chunks), 10 * MIB), BlobTooLargeError);
    const keys = await listed();
    assert.ok(!keys.includes('tenant/file-over-small') && !keys.includes('tenant/file-over-large'), String(keys));
  });

  test('delete removes the object; sweep removes old objects no file row names', async () => {
    const blobs = open();
    await blobs.write('file-gone', Readable.from([Buffer.from('bye')]), 10);
    await blobs.delete('file-gone');
    await assert.rejects(blobs.read('file-gone').toArray(), /NoSuchKey/);
    await blobs.write('file-orphan', Readable.from([Buffer.from('o')]), 10);
    await blobs.write('file-kept', Readable.from([Buffer.from('k')]), 10);
    assert.deepEqual(await blobs.sweep(async () => new Set(), 60_000), { removed: 0 });
    const asked: string[] = [];
    const { removed } = await blobs.sweep(async (keys) => {
      asked.push(...keys);
      return new Set(keys.filter((k) => k !== 'file-orphan'));
    }, 0);
    assert.equal(removed, 1);
    assert.ok(asked.includes('file-kept'));
    const keys = await listed();
    assert.ok(keys.includes('tenant/file-kept') && !keys.includes('tenant/file-orphan'));
  });
});
