import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

// Reads an object's fields from the pinned openai-node type declarations, so a shape test checks objects against
// the SDK itself rather than against a copy that could drift.

// The package's main entry (index.js) sits at its root.
const root = join(createRequire(import.meta.url).resolve('openai'), '..');

interface Field {
  optional: boolean;
  type: string;
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * The fields of interface `name` in `resources/<file>.d.ts` of the openai package; a dotted name reaches into
 * the namespaces the SDK declares nested types in (`FileSearchToolCall.FileSearch.Result`).
 */
export function sdkFields(file: string, name: string): Map<string, Field> {
  let source = readFileSync(join(root, 'resources', `${file}.d.ts`), 'utf8');
  const path = name.split('.');
  const last = path.pop()!;
  let indent = '';
  for (const space of path) {
    const start = new RegExp(`^${indent}(?:export declare )?namespace ${escape(space)} \\{$`, 'm').exec(source);
    assert.ok(start, `namespace ${space} in ${file}.d.ts`);
    source = source.slice(start.index + start[0].length);
    indent += '    ';
  }
  const body = new RegExp(`^${indent}(?:export )?interface ${escape(last)} \\{\\n([\\s\\S]*?)^${indent}\\}`, 'm').exec(source)?.[1];
  assert.ok(body, `interface ${name} in ${file}.d.ts`);
  const fields = new Map<string, Field>();
  for (const match of body.matchAll(new RegExp(`^${indent}    ([a-z_]+)(\\??): (.+)$`, 'gm'))) fields.set(match[1]!, { optional: match[2] === '?', type: match[3]! });
  return fields;
}

/**
 * `value` has exactly the fields the SDK type declares (optional ones may be absent), never `null` where the type
 * does not allow it, and an array wherever the type says one.
 */
export function assertSdkShape(value: Record<string, unknown>, file: string, name: string, what = name): void {
  const fields = sdkFields(file, name);
  for (const key of Object.keys(value)) assert.ok(fields.has(key), `${what}: ${key} is not in the SDK's ${name}`);
  for (const [key, field] of fields) {
    if (!(key in value)) {
      assert.ok(field.optional, `${what}: ${key} is missing`);
      continue;
    }
    const v = value[key];
    const nullable = /\|\s*null\b/.test(field.type);
    if (v === null) assert.ok(nullable, `${what}: ${key} is null, the SDK says ${field.type}`);
    else if (/^Array</.test(field.type)) assert.ok(Array.isArray(v), `${what}: ${key} is not an array`);
  }
}
