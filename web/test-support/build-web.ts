import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BUILT = join(ROOT, 'dist/web/index.html');
const LOCK = join(ROOT, 'dist/.web-build.lock');
const STALE_LOCK_MS = 5 * 60_000;

function newestChange(path: string): number {
  const info = statSync(path);
  if (!info.isDirectory()) return info.mtimeMs;
  return Math.max(info.mtimeMs, ...readdirSync(path).map((name) => newestChange(join(path, name))));
}

function isFresh(): boolean {
  const sources = ['web/src', 'web/index.html', 'web/vite.config.ts'].map((p) => join(ROOT, p));
  return existsSync(BUILT) && statSync(BUILT).mtimeMs >= Math.max(...sources.map(newestChange));
}

/** Takes the build lock (a directory: mkdir is atomic), waiting for another test file's build to end. */
function lock(): void {
  mkdirSync(join(ROOT, 'dist'), { recursive: true });
  for (;;) {
    try {
      mkdirSync(LOCK);
      return;
    } catch {
      // A build that died long ago left its lock behind.
      if (existsSync(LOCK) && Date.now() - statSync(LOCK).mtimeMs > STALE_LOCK_MS) rmSync(LOCK, { recursive: true, force: true });
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
    }
  }
}

/**
 * The browser tests load what `assistd serve` serves: dist/web. `npm run build` makes it; when it is missing or
 * older than web/'s sources (a test run during development), it is built again here. Test files run in parallel:
 * one builds while the others wait (a build empties dist/web, which would break a page another file is loading).
 */
export function ensureWebBuilt(): void {
  if (isFresh()) return;
  lock();
  try {
    if (isFresh()) return;
    execFileSync(process.execPath, [join(ROOT, 'node_modules/vite/bin/vite.js'), 'build', '--config', join(ROOT, 'web/vite.config.ts')], {
      cwd: ROOT,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}
