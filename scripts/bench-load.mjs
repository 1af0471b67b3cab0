#!/usr/bin/env node
// `npm run bench:load`: runs every benchmark in bench/load/ one after another (each starts its own servers and
// measures its own same-run baseline), or only those whose names contain one of the arguments.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const filters = process.argv.slice(2);
const files = readdirSync('bench/load')
  .filter((name) => name.endsWith('.ts'))
  .filter((name) => filters.length === 0 || filters.some((f) => name.includes(f)))
  .sort();
let failed = 0;
for (const name of files) {
  console.log(`\n## bench/load/${name}`);
  const result = spawnSync(process.execPath, ['--import', 'tsx', join('bench/load', name)], { stdio: 'inherit' });
  if (result.status !== 0) failed++;
}
process.exit(failed === 0 ? 0 : 1);
