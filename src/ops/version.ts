import { readFileSync } from 'node:fs';

/** The version in package.json (src/ops and dist/ops both sit two levels below it). */
export function assistdVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}
