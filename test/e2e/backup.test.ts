import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { toFile } from 'openai';
import { runCli } from '../support/cli.js';
import { startTestServer, type TestServer } from '../support/server.js';

const root = mkdtempSync(join(tmpdir(), 'assistd-backup-'));
const servers: TestServer[] = [];
after(async () => {
  for (const server of servers) await server.close().catch(() => {});
  rmSync(root, { recursive: true, force: true });
});

test('backup while writing, restore into a new data dir: nothing acknowledged before the backup is lost', async () => {
  const source = await startTestServer({}, join(root, 'live'));
  servers.push(source);
  const client = source.openai();
  const files = [];
  for (let i = 0; i < 5; i++) files.push(await client.files.create({ file: await toFile(Buffer.from(`file number ${i}\n`.repeat(100)), `f${i}.txt`), purpose: 'assistants' }));
  const thread = await client.beta.threads.create();
  const acknowledged: string[] = [];
  let writing = true;
  const writer = (async () => {
    while (writing) acknowledged.push((await client.beta.threads.messages.create(thread.id, { role: 'user', content: `message ${acknowledged.length}` })).id);
  })();
  while (acknowledged.length < 20) await new Promise((resolve) => setTimeout(resolve, 20));

  const before = [...acknowledged];
  const dest = join(root, 'backup');
  const backup = await runCli(['backup', dest, '--data-dir', source.dataDir]);
  const during = acknowledged.length - before.length;
  writing = false;
  await writer;
  assert.equal(backup.code, 0, backup.stderr);
  assert.match(backup.stdout, /^backed up the database \([\d.]+ MB\) and 5 file\(s\) to /);
  assert.ok(during > 0, 'writes went on during the backup');
  assert.equal(statSync(join(dest, 'assistd.sqlite')).mode & 0o777, 0o600);

  const restoredDir = join(root, 'restored');
  const restore = await runCli(['restore', dest, '--data-dir', restoredDir]);
  assert.equal(restore.code, 0, restore.stderr);
  assert.match(restore.stdout, /^restored the database .* and 5 file\(s\) into /);
  assert.equal(statSync(restoredDir).mode & 0o777, 0o700);
  for (const name of readdirSync(join(restoredDir, 'files'))) assert.equal(statSync(join(restoredDir, 'files', name)).mode & 0o777, 0o600);
  const again = await runCli(['restore', dest, '--data-dir', restoredDir]);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /already exists: restore into a new data directory/);

  const restored = await startTestServer({}, restoredDir);
  servers.push(restored);
  const client2 = restored.openai();
  const ids = new Set<string>();
  for await (const message of client2.beta.threads.messages.list(thread.id, { limit: 100 })) ids.add(message.id);
  for (const id of before) assert.ok(ids.has(id), `message ${id} acknowledged before the backup`);
  for (const [i, file] of files.entries()) {
    const content = await (await client2.files.content(file.id)).text();
    assert.equal(content, `file number ${i}\n`.repeat(100));
  }
});

test('backup refuses a non-empty destination and Postgres', async () => {
  const full = await runCli(['backup', root, '--data-dir', join(root, 'live')]);
  assert.equal(full.code, 1);
  assert.match(full.stderr, /^assistd: backup destination .* is not empty: choose a new directory\n$/);
  const pg = await runCli(['backup', join(root, 'pg'), '--database-url', 'postgres://u:p@127.0.0.1:1/x']);
  assert.equal(pg.code, 1);
  assert.match(pg.stderr, /for Postgres use pg_dump/);
});
