import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { createBlobCache } from './blob-cache.js';
import { BlobTooLargeError, type BlobStore } from './blob-store.js';
import { createS3Client, S3Error, xmlBlocks, xmlValue, type S3Client, type S3Settings } from './s3-client.js';

const KEY = /^[A-Za-z0-9_.-]+$/;
/** Uploads up to this size are one PUT; larger ones go up in parts of this size (S3's minimum part is 5 MiB). */
const PART_BYTES = 8 * 1024 * 1024;
/** Keys asked about per `known` call during a sweep (a list page holds up to 1,000). */
const SWEEP_BATCH = 500;

export interface S3BlobStoreOptions {
  s3: S3Settings;
  /** Local copies for tools that need a file: where, and how many bytes at most. */
  cacheDir: string;
  cacheBytes: number;
}

/**
 * Blobs as objects in an S3-compatible bucket, so replicas on separate machines share them. Uploads stream up
 * (one part in memory at a time), downloads stream down, and `localPath` serves a bounded local cache.
 */
export function createS3BlobStore(options: S3BlobStoreOptions): BlobStore {
  const client = createS3Client(options.s3);
  const objectKey = (key: string) => {
    if (!KEY.test(key)) throw new Error(`invalid blob key ${key}`);
    return `${options.s3.prefix}${key}`;
  };
  const download = async (key: string) => bodyOf(await client.sendOk({ method: 'GET', key: objectKey(key) }));
  const cache = createBlobCache(options.cacheDir, options.cacheBytes, download);

  return {
    async write(key, source, maxBytes) {
      return upload(client, objectKey(key), source, maxBytes);
    },
    read(key): Readable {
      return Readable.from(
        (async function* () {
          yield* await download(key);
        })(),
        { objectMode: false },
      );
    },
    localPath: (key) => cache.path(key),
    async delete(key) {
      await client.send({ method: 'DELETE', key: objectKey(key) });
      await cache.drop(key);
    },
    async sweep(known, graceMs) {
      const cutoff = Date.now() - graceMs;
      let removed = 0;
      for await (const page of listOld(client, options.s3.prefix, cutoff)) {
        const keys = page.filter((k) => KEY.test(k));
        for (let i = 0; i < keys.length; i += SWEEP_BATCH) {
          const batch = keys.slice(i, i + SWEEP_BATCH);
          const keep = await known(batch);
          for (const key of batch) {
            if (keep.has(key)) continue;
            await client.send({ method: 'DELETE', key: objectKey(key) });
            removed++;
          }
        }
      }
      return { removed };
    },
  };
}

function bodyOf(response: Response): Readable {
  if (!response.body) return Readable.from([], { objectMode: false });
  return Readable.fromWeb(response.body as WebReadableStream<Uint8Array>);
}

/** One PUT for a small blob; a multipart upload for a large one, aborted on any failure so nothing is left. */
async function upload(client: S3Client, key: string, source: Readable, maxBytes: number): Promise<{ bytes: number }> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let bytes = 0;
  let multipart: { id: string; etags: string[] } | undefined;
  const sendPart = async () => {
    multipart ??= { id: await startMultipart(client, key), etags: [] };
    const body = Buffer.concat(pending);
    pending = [];
    pendingBytes = 0;
    const reply = await client.sendOk({ method: 'PUT', key, body, query: { partNumber: String(multipart.etags.length + 1), uploadId: multipart.id } });
    multipart.etags.push(reply.headers.get('etag') ?? '');
  };
  try {
    for await (const chunk of source as AsyncIterable<Buffer>) {
      bytes += chunk.length;
      if (bytes > maxBytes) throw new BlobTooLargeError(maxBytes);
      pending.push(chunk);
      pendingBytes += chunk.length;
      if (pendingBytes >= PART_BYTES) await sendPart();
    }
    if (!multipart) {
      await client.sendOk({ method: 'PUT', key, body: Buffer.concat(pending) });
      return { bytes };
    }
    if (pendingBytes > 0) await sendPart();
    await completeMultipart(client, key, multipart);
    return { bytes };
  } catch (err) {
    if (multipart) await client.send({ method: 'DELETE', key, query: { uploadId: multipart.id } }).catch(() => undefined);
    throw err;
  }
}

async function startMultipart(client: S3Client, key: string): Promise<string> {
  const reply = await client.sendOk({ method: 'POST', key, query: { uploads: '' } });
  const id = xmlValue(await reply.text(), 'UploadId');
  if (!id) throw new S3Error(reply.status, 'NoUploadId', 'CreateMultipartUpload answered without an UploadId');
  return id;
}

async function completeMultipart(client: S3Client, key: string, multipart: { id: string; etags: string[] }): Promise<void> {
  const parts = multipart.etags.map((etag, i) => `<Part><PartNumber>${i + 1}</PartNumber><ETag>${escapeXml(etag)}</ETag></Part>`).join('');
  const body = Buffer.from(`<CompleteMultipartUpload>${parts}</CompleteMultipartUpload>`);
  const reply = await client.sendOk({ method: 'POST', key, query: { uploadId: multipart.id }, body, headers: { 'content-type': 'application/xml' } });
  // S3 may answer 200 and still fail the completion, with an <Error> body.
  const text = await reply.text();
  if (text.includes('<Error>')) throw new S3Error(reply.status, xmlValue(text, 'Code') ?? 'InternalError', xmlValue(text, 'Message') ?? 'completing the upload failed');
}

/** Pages of keys (prefix removed) under `prefix` last modified before `cutoff` (unix ms). */
async function* listOld(client: S3Client, prefix: string, cutoff: number): AsyncGenerator<string[]> {
  let token: string | undefined;
  do {
    const query: Record<string, string> = { 'list-type': '2', prefix, ...(token ? { 'continuation-token': token } : {}) };
    const xml = await (await client.sendOk({ method: 'GET', key: '', query })).text();
    const old = xmlBlocks(xml, 'Contents').filter((c) => Date.parse(xmlValue(c, 'LastModified') ?? '') <= cutoff);
    yield old.map((c) => (xmlValue(c, 'Key') ?? '').slice(prefix.length));
    token = xmlValue(xml, 'IsTruncated') === 'true' ? xmlValue(xml, 'NextContinuationToken') : undefined;
  } while (token);
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&${{ '<': 'lt', '>': 'gt', '&': 'amp', '"': 'quot', "'": 'apos' }[c]!};`);
}
