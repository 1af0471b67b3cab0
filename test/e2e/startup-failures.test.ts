import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { runCli } from '../support/cli.js';

let dir: string;
let busy: Server;
let busyPort: number;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'assistd-startup-'));
  busy = createServer();
  await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
  busyPort = (busy.address() as { port: number }).port;
});
after(() => {
  busy.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A directory this process cannot write: root writes anywhere but sysfs. */
function unwritableDir(): string {
  return process.getuid?.() === 0 ? '/sys/kernel' : '/proc/1';
}

test('each start-up failure is one line on stderr naming the cause and the fix, exit code 1', async () => {
  writeFileSync(join(dir, 'a-file'), '');
  writeFileSync(join(dir, 'bad-provider.yaml'), 'models:\n  - name: gpt-4o\n    provider: openai\n  - name: local\n    provider: lmstudio\n');
  writeFileSync(join(dir, 'bad-key.yaml'), 'models:\n  - name: gpt-4o\n    provider: openai\n    apikey: x\n');
  const data = (name: string) => ['--data-dir', join(dir, name)];
  const cases: Array<{ args: string[]; env?: Record<string, string>; line: RegExp }> = [
    { args: ['serve', '--port', String(busyPort), ...data('busy')], line: new RegExp(`^assistd: port ${busyPort} on 127\\.0\\.0\\.1 is already in use: .*PORT or --port$`) },
    { args: ['serve', '--port', '0', '--data-dir', join(dir, 'a-file')], line: /^assistd: data directory .*a-file is not a directory.*ASSISTD_DATA_DIR or --data-dir$/ },
    { args: ['serve', '--port', '0', '--data-dir', unwritableDir()], line: /^assistd: data directory \S+ is not writable .*ASSISTD_DATA_DIR or --data-dir$/ },
    { args: ['migrate', ...data('pg1'), '--database-url', 'postgres://team:hunter2@127.0.0.1:1/assistd'], line: /^assistd: cannot use Postgres at 127\.0\.0\.1:1\/assistd: connection refused: / },
    { args: ['serve', ...data('pg2')], env: { DATABASE_URL: 'postgres://team:hunter2@db.invalid:5432/prod' }, line: /^assistd: cannot use Postgres at db\.invalid:5432\/prod: host not found/ },
    { args: ['serve', '--prot', '9000'], line: /^assistd: unknown option '--prot'; see assistd --help$/ },
    { args: ['serve', '--port'], line: /^assistd: option --port needs a value/ },
    { args: ['serve', ...data('m1'), '--config', join(dir, 'bad-provider.yaml')], line: /^assistd: models\[1\] \("local"\) in the config file .*bad-provider\.yaml: 'provider' must be one of openai, azure, ollama, openai-compatible$/ },
    { args: ['serve', ...data('m2'), '--config', join(dir, 'bad-key.yaml')], line: /^assistd: models\[0\] \("gpt-4o"\) .*: unknown key 'apikey'; allowed keys: name, provider, .*api_key/ },
    { args: ['migrate', ...data('env')], env: { ASSISTD_CODE_POOL_SIZE: 'lots' }, line: /^assistd: invalid setting ASSISTD_CODE_POOL_SIZE in the environment: .*number/ },
  ];
  const results = await Promise.all(cases.map((c) => runCli(c.args, c.env)));
  results.forEach((result, i) => {
    const { line } = cases[i]!;
    const lines = result.stderr.trimEnd().split('\n');
    assert.equal(lines.length, 1, `${line}: one line, got ${result.stderr}`);
    assert.match(lines[0]!, line);
    assert.equal(result.code, 1, String(line));
    assert.ok(!result.stderr.includes('hunter2'), 'never the password');
  });
});

test('LOG_LEVEL=debug adds the stack', async () => {
  const result = await runCli(['migrate', '--data-dir', join(dir, 'dbg'), '--database-url', 'postgres://u:p@127.0.0.1:1/x'], { LOG_LEVEL: 'debug' });
  assert.equal(result.code, 1);
  assert.match(result.stderr, /^assistd: cannot use Postgres/);
  assert.match(result.stderr, /\n\s+at /);
});

test('--version and -v print the version of package.json', async () => {
  const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
  for (const flag of ['--version', '-v']) {
    const result = await runCli([flag]);
    assert.equal(result.code, 0);
    assert.equal(result.stdout, `assistd ${version}\n`);
  }
});
