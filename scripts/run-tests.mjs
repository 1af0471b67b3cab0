#!/usr/bin/env node
// Runs every *.test.ts under src/ and test/ with node's test runner (through tsx), then prints a plain
// "N passed, N failed" line so any CI can read the result. Pass file paths or substrings to run a subset.
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function findTests(dir) {
  let out = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (name === 'node_modules' || name.startsWith('.')) continue;
    if (statSync(path).isDirectory()) out = out.concat(findTests(path));
    else if (name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

const filters = process.argv.slice(2);
const files = ['src', 'test', 'web']
  .flatMap((d) => { try { return findTests(d); } catch { return []; } })
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();

const child = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', ...files], {
  stdio: ['ignore', 'pipe', 'inherit'],
  env: { ...process.env, NODE_ENV: 'test' },
});
let passed = 0, failed = 0, tail = '';
child.stdout.on('data', (buf) => {
  process.stdout.write(buf);
  const text = tail + buf.toString();
  const lines = text.split('\n');
  tail = lines.pop() ?? '';
  for (const line of lines) {
    const m = /^# (pass|fail) (\d+)$/.exec(line.trim());
    if (m) m[1] === 'pass' ? (passed = Number(m[2])) : (failed = Number(m[2]));
  }
});
child.on('close', (code) => {
  const m = /^# (pass|fail) (\d+)$/.exec(tail.trim());
  if (m) m[1] === 'pass' ? (passed = Number(m[2])) : (failed = Number(m[2]));
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(code ?? 1);
});
