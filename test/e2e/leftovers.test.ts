import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import OpenAI, { toFile } from 'openai';

// A server killed with SIGKILL in the middle of an upload leaves a half-written `.part` blob behind; the next
// start removes it (and bytes no file object refers to), while files that exist keep theirs.

const GRACE_SECONDS = 30;
const dirs: string[] = [];
after(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const port = (probe.address() as { port: number }).port;
      probe.close(() => resolve(port));
    });
  });
}

async function startServe(dataDir: string): Promise<{ child: ChildProcess; url: string }> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'serve'], {
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', ASSISTD_DATA_DIR: dataDir, LOG_LEVEL: 'warn', ASSISTD_CODE_POOL_SIZE: '0', ASSISTD_BLOB_SWEEP_GRACE_SECONDS: String(GRACE_SECONDS), ASSISTD_CONFIG: '/dev/null' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 300; i++) {
    if (await fetch(`${url}/healthz`).then((r) => r.ok, () => false)) return { child, url };
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error('the server did not start');
}

async function until(check: () => boolean, timeoutMs = 15_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!check() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  return check();
}

/** Starts a multipart upload, sends the first megabyte of the file and never finishes it. */
function startUpload(url: string): void {
  const boundary = 'leftover-boundary';
  const req = request(`${url}/v1/files`, { method: 'POST', headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, authorization: 'Bearer none' } });
  req.on('error', () => {});
  req.write(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`);
  req.write(Buffer.alloc(1024 * 1024, 7));
}

test('a .part left by a kill -9 mid-upload, and bytes with no file, are swept at the next start', { timeout: 90_000 }, async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'assistd-leftovers-'));
  dirs.push(dataDir);
  const files = join(dataDir, 'files');
  const first = await startServe(dataDir);
  const client = new OpenAI({ baseURL: `${first.url}/v1`, apiKey: 'none', maxRetries: 0 });
  const kept = await client.files.create({ file: await toFile(Buffer.from('keep me'), 'kept.txt'), purpose: 'assistants' });
  startUpload(first.url);
  assert.ok(await until(() => readdirSync(files).some((n) => n.endsWith('.part'))), 'the upload never reached the blob store');
  const exited = new Promise((resolve) => first.child.once('exit', resolve));
  first.child.kill('SIGKILL');
  await exited;
  const part = readdirSync(files).find((n) => n.endsWith('.part'))!;
  assert.ok(part, 'the kill left no .part behind');
  // Bytes no file object refers to (a kill between the blob and its row), and a fresh one still within the grace.
  const orphan = join(files, 'file-orphanedbytes');
  writeFileSync(orphan, 'nobody refers to me');
  const old = new Date(Date.now() - 2 * GRACE_SECONDS * 1000);
  utimesSync(orphan, old, old);
  utimesSync(join(files, part), old, old);
  const fresh = join(files, 'file-uploadinflight');
  writeFileSync(fresh, 'still being written by someone');

  const second = await startServe(dataDir);
  try {
    assert.ok(await until(() => !existsSync(join(files, part)) && !existsSync(orphan)), `left: ${readdirSync(files).join(', ')}`);
    assert.ok(existsSync(fresh), 'a blob within the grace period was removed');
    const again = new OpenAI({ baseURL: `${second.url}/v1`, apiKey: 'none', maxRetries: 0 });
    assert.equal(await (await again.files.content(kept.id)).text(), 'keep me');
  } finally {
    second.child.kill('SIGKILL');
  }
});
