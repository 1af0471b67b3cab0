#!/usr/bin/env node
// Compiles src/ to dist/, copies the non-TypeScript files the runtime loads (the sandbox's Python worker) and
// builds the playground.
import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

rmSync('dist', { recursive: true, force: true });
execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });

function copyAssets(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) copyAssets(path);
    else if (/\.(py)$/.test(name)) cpSync(path, join('dist', relative('src', path)));
  }
}
copyAssets('src');
// `assistd` is a link to dist/cli.js (package.json bin; setup links it): it must be executable.
chmodSync('dist/cli.js', 0o755);

// The playground (web/) is static files in dist/web, which `assistd serve` serves at `/`.
execFileSync(process.execPath, ['node_modules/vite/bin/vite.js', 'build', '--config', 'web/vite.config.ts'], { stdio: 'inherit' });
