import { createHash, createHmac } from 'node:crypto';

/** Where the bucket is and who we are to it (see docs/deploy.md, "Object storage"). */
export interface S3Settings {
  bucket: string;
  /** Key prefix inside the bucket: '' or ending in '/'. */
  prefix: string;
  region: string;
  /** http(s)://host[:port] of an S3-compatible service; undefined: AWS itself. */
  endpoint: string | undefined;
  /** Bucket in the path (MinIO, most self-hosted servers) instead of in the host name. */
  pathStyle: boolean;
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string | undefined;
}

export interface S3Request {
  method: 'GET' | 'PUT' | 'POST' | 'DELETE' | 'HEAD';
  /** Object key inside the bucket (prefix included); '' addresses the bucket itself. */
  key: string;
  query?: Record<string, string>;
  body?: Buffer;
  headers?: Record<string, string>;
}

/** An S3 error reply, with the service's own code (NoSuchKey, SignatureDoesNotMatch, …). */
export class S3Error extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(`S3 ${status} ${code}: ${message}`);
  }
}

const EMPTY_SHA256 = sha256Hex(Buffer.alloc(0));
const ATTEMPTS = 3;
const RETRIED_STATUSES = new Set([500, 502, 503, 504]);

/**
 * A minimal S3 client: SigV4-signed requests over fetch. Only the calls a blob store needs, so no SDK (and its
 * hundred packages) is pulled in; the payload of each request is hashed, as every S3-compatible server accepts.
 */
export function createS3Client(settings: S3Settings) {
  const base = new URL(settings.endpoint ?? `https://s3.${settings.region}.amazonaws.com`);
  const host = settings.pathStyle ? base.host : `${settings.bucket}.${base.host}`;
  const basePath = base.pathname.replace(/\/+$/, '');
  const bucketPath = settings.pathStyle ? `${basePath}/${encodeSegment(settings.bucket)}` : basePath;

  async function sendOnce(request: S3Request): Promise<Response> {
    const path = `${bucketPath}/${request.key.split('/').map(encodeSegment).join('/')}`;
    const query = Object.entries(request.query ?? {})
      .map(([k, v]) => [encodeSegment(k), encodeSegment(v)] as const)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, v]) => `${k}=${v}`)
      .join('&');
    const amzDate = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
    const headers: Record<string, string> = {
      ...request.headers,
      host,
      'x-amz-date': amzDate,
      'x-amz-content-sha256': request.body ? sha256Hex(request.body) : EMPTY_SHA256,
      ...(settings.sessionToken ? { 'x-amz-security-token': settings.sessionToken } : {}),
    };
    headers.authorization = authorization(settings, request.method, path, query, headers, amzDate);
    delete headers.host;
    const url = `${base.protocol}//${host}${path}${query ? `?${query}` : ''}`;
    const response = await fetch(url, { method: request.method, headers, ...(request.body ? { body: request.body as Uint8Array<ArrayBuffer> } : {}) });
    if (response.ok || response.status === 404) return response;
    throw await errorOf(response);
  }

  /**
   * Signed afresh for each attempt. A connection the server closed while idle (fetch's TypeError) and S3's
   * 500/503 (SlowDown) are retried, as the AWS SDKs do; every call the blob store makes may be repeated.
   */
  async function sendWithRetries(request: S3Request): Promise<Response> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await sendOnce(request);
      } catch (err) {
        const transient = err instanceof TypeError || (err instanceof S3Error && RETRIED_STATUSES.has(err.status));
        if (!transient || attempt >= ATTEMPTS) throw err;
        await new Promise((resolve) => setTimeout(resolve, 100 * 2 ** attempt));
      }
    }
  }

  return {
    settings,
    /** A 2xx or 404 reply; anything else throws an S3Error. */
    send: sendWithRetries,
    /** Like send, but a 404 is an error too. */
    async sendOk(request: S3Request): Promise<Response> {
      const response = await sendWithRetries(request);
      if (response.status === 404) throw await errorOf(response);
      return response;
    },
  };
}

export type S3Client = ReturnType<typeof createS3Client>;

/** The SigV4 `authorization` header of a request (headers include host, x-amz-date and x-amz-content-sha256). */
export function authorization(settings: Pick<S3Settings, 'region' | 'accessKeyId' | 'secretAccessKey'>, method: string, path: string, query: string, headers: Record<string, string>, amzDate: string): string {
  const names = Object.keys(headers).map((n) => n.toLowerCase()).sort();
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), String(v).trim()]));
  const canonical = [method, path, query, ...names.map((n) => `${n}:${lower[n]}`), '', names.join(';'), lower['x-amz-content-sha256']].join('\n');
  const scope = `${amzDate.slice(0, 8)}/${settings.region}/s3/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256Hex(Buffer.from(canonical))].join('\n');
  let key: Buffer = hmac(`AWS4${settings.secretAccessKey}`, amzDate.slice(0, 8));
  for (const part of [settings.region, 's3', 'aws4_request']) key = hmac(key, part);
  const signature = createHmac('sha256', key).update(toSign).digest('hex');
  return `AWS4-HMAC-SHA256 Credential=${settings.accessKeyId}/${scope}, SignedHeaders=${names.join(';')}, Signature=${signature}`;
}

async function errorOf(response: Response): Promise<S3Error> {
  const text = await response.text().catch(() => '');
  return new S3Error(response.status, xmlValue(text, 'Code') ?? response.statusText, xmlValue(text, 'Message') ?? text.slice(0, 200));
}

/** The text of the first `<tag>` in an S3 XML reply (S3 replies are flat enough for this). */
export function xmlValue(xml: string, tag: string): string | undefined {
  const match = new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(xml);
  return match ? decodeXml(match[1]!) : undefined;
}

/** Every `<tag>…</tag>` block's inner text. */
export function xmlBlocks(xml: string, tag: string): string[] {
  return [...xml.matchAll(new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, 'g'))].map((m) => m[1]!);
}

function decodeXml(text: string): string {
  return text.replace(/&(lt|gt|quot|apos|amp);/g, (_, e: string) => ({ lt: '<', gt: '>', quot: '"', apos: "'", amp: '&' })[e]!);
}

/** RFC 3986 encoding, as SigV4 wants it (encodeURIComponent leaves !'()* alone). */
function encodeSegment(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function sha256Hex(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest();
}
