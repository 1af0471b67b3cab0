// Malformed requests for every operation of /openapi.json, from a seeded generator: a body shaped by the
// operation's own JSON schema with one flaw that must make the server refuse it, bad ids, bad queries, broken
// multipart, broken HTTP. Every request that could change state carries a flaw, so nothing may be stored.

type Schema = Record<string, any>;

export interface Operation {
  method: string;
  path: string;
  params: string[];
  query: Record<string, Schema>;
  body?: Schema;
  multipart: boolean;
}

export interface FuzzRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string | Buffer;
  /** Sent as raw bytes on a socket instead (HTTP that no client library would produce). */
  raw?: string;
  flaw: string;
}

/** A small deterministic PRNG (mulberry32), so a failing request can be reproduced from its seed. */
export function createRng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)]!;
  return { next, int, pick, chance: (p: number) => next() < p };
}

export type Rng = ReturnType<typeof createRng>;

export function operationsOf(doc: { paths: Record<string, Record<string, any>> }): Operation[] {
  const out: Operation[] = [];
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      const params = (op.parameters ?? []) as Array<{ name: string; in: string; schema: Schema }>;
      const content = op.requestBody?.content ?? {};
      out.push({
        method: method.toUpperCase(),
        path,
        params: params.filter((p) => p.in === 'path').map((p) => p.name),
        query: Object.fromEntries(params.filter((p) => p.in === 'query').map((p) => [p.name, p.schema])),
        body: content['application/json']?.schema,
        multipart: 'multipart/form-data' in content,
      });
    }
  }
  return out;
}

const STRINGS = ['', 'x', 'hello world', 'Отчёт 数据 😀', 'a'.repeat(300), '<script>', "'; drop table x; --", '../../etc/passwd', '%s%n', '\t\n'];
const NUMBERS = [0, -1, 1, 0.5, 2.5, 17, 101, 1e308, -1e308, 9007199254740993, 1e-9];

/** A value shaped by a JSON schema; objects that refuse unknown keys are collected for flaw injection. */
function valueOf(schema: Schema | undefined, rng: Rng, ids: string[], strict: object[], depth = 0): unknown {
  if (!schema || depth > 6) return rng.pick(STRINGS);
  if (schema.const !== undefined) return schema.const;
  if (schema.enum) return rng.pick(schema.enum);
  const options = schema.anyOf ?? schema.oneOf;
  if (options) return valueOf(rng.pick(options), rng, ids, strict, depth);
  const type = Array.isArray(schema.type) ? rng.pick(schema.type) : schema.type;
  switch (type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      const required = new Set<string>(schema.required ?? []);
      for (const [key, sub] of Object.entries<Schema>(schema.properties ?? {})) {
        if (required.has(key) || rng.chance(0.4)) out[key] = valueOf(sub, rng, ids, strict, depth + 1);
      }
      if (schema.additionalProperties === false) strict.push(out);
      else if (typeof schema.additionalProperties === 'object' && rng.chance(0.5)) out[`k${rng.int(99)}`] = valueOf(schema.additionalProperties, rng, ids, strict, depth + 1);
      return out;
    }
    case 'array':
      return Array.from({ length: Math.max(schema.minItems ?? 0, rng.int(3)) }, () => valueOf(schema.items, rng, ids, strict, depth + 1));
    case 'string':
      return rng.chance(0.4) ? rng.pick(ids) : rng.pick(STRINGS);
    case 'integer':
    case 'number':
      return rng.pick(NUMBERS);
    case 'boolean':
      return rng.chance(0.5);
    case 'null':
      return null;
    default:
      return rng.chance(0.5) ? rng.pick(STRINGS) : rng.pick(NUMBERS);
  }
}

function nested(levels: number, rng: Rng): string {
  const [open, close] = rng.chance(0.5) ? ['{"a":', '}'] : ['[', ']'];
  return open.repeat(levels) + '1' + close.repeat(levels);
}

function stringLeaves(value: unknown, out: Array<{ holder: any; key: string | number }> = []) {
  if (Array.isArray(value)) value.forEach((v, i) => (typeof v === 'string' ? out.push({ holder: value, key: i }) : stringLeaves(v, out)));
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) typeof v === 'string' ? out.push({ holder: value, key: k }) : stringLeaves(v, out);
  }
  return out;
}

const JSON_TYPE = { application: 'application/json' };

/** A JSON body for the operation with exactly one flaw the server must refuse. */
function flawedBody(op: Operation, rng: Rng, ids: string[]): Pick<FuzzRequest, 'body' | 'headers' | 'flaw'> {
  const strict: object[] = [];
  const generated = op.body ? valueOf(op.body, rng, ids, strict) : {};
  const base = (generated && typeof generated === 'object' && !Array.isArray(generated) ? generated : {}) as Record<string, unknown>;
  const json = { 'content-type': JSON_TYPE.application };
  const flaw = rng.pick(['unknown-key', 'unknown-key', 'nul', 'surrogate', 'deep', 'not-object', 'malformed', 'utf8', 'content-type']);
  switch (flaw) {
    case 'unknown-key': {
      const target = (op.body ? (strict.length ? rng.pick(strict) : undefined) : base) as Record<string, unknown> | undefined;
      if (!target) return flawedBody(op, rng, ids);
      target[`fuzz_${rng.int(1000)}`] = rng.pick([1, 'x', null, {}]);
      return { flaw, headers: json, body: JSON.stringify(base) };
    }
    case 'nul':
    case 'surrogate': {
      const leaves = stringLeaves(base);
      const bad = flaw === 'nul' ? 'a\u0000b' : rng.pick(['\ud800', 'x\udfffy']);
      if (leaves.length && rng.chance(0.8)) {
        const leaf = rng.pick(leaves);
        leaf.holder[leaf.key] = bad;
      } else base[bad] = 'v';
      return { flaw, headers: json, body: JSON.stringify(base) };
    }
    case 'deep': {
      const text = JSON.stringify({ ...base, [rng.pick(Object.keys(base).concat('metadata'))]: '__DEEP__' });
      return { flaw, headers: json, body: text.replace('"__DEEP__"', nested(65 + rng.int(6000), rng)) };
    }
    case 'not-object':
      return { flaw, headers: json, body: rng.pick(['null', '42', '"text"', 'true', '[]', '[1]', '-0', '1e999']) };
    case 'malformed': {
      const text = JSON.stringify(base);
      const body = rng.pick([text.slice(0, Math.max(1, rng.int(text.length))), `${text}}`, `${text},`, '{', "{'a':1}", '{"a":}', 'NaN', '\u0000', '{"a":1,,}']);
      return { flaw, headers: json, body };
    }
    case 'utf8': {
      const text = Buffer.from(JSON.stringify({ ...base, name: '__BYTES__' }));
      const at = text.indexOf('__BYTES__');
      const bytes = rng.pick([[0xff], [0xc3, 0x28], [0xe2, 0x82], [0xf0, 0x9f, 0x98], [0xed, 0xa0, 0x80]]);
      return { flaw, headers: json, body: Buffer.concat([text.subarray(0, at), Buffer.from(bytes), text.subarray(at + 9)]) };
    }
    default: {
      const type = rng.pick(['text/plain', 'application/xml', 'multipart/form-data; boundary=x', 'application/x-www-form-urlencoded', 'multipart/form-data']);
      const body = type.startsWith('multipart') ? '--x\r\nContent-Disposition: form-data; name="a"\r\n\r\nb\r\n--x--\r\n' : type === 'application/json' ? '{}' : 'a=1&b=2';
      return { flaw: `content-type ${type.split(';')[0]}`, headers: { 'content-type': type }, body };
    }
  }
}

/** An upload that must be refused: broken multipart, or a well-formed one with a bad field. */
function flawedUpload(rng: Rng): Pick<FuzzRequest, 'body' | 'headers' | 'flaw'> {
  const part = (name: string, value: string, filename?: string) =>
    `--b\r\nContent-Disposition: form-data; name="${name}"${filename ? `; filename="${filename}"` : ''}\r\n\r\n${value}\r\n`;
  const file = part('file', 'hello', 'a.txt');
  const cases: Array<[string, string, string]> = [
    ['no boundary', 'multipart/form-data', part('purpose', 'assistants') + file + '--b--\r\n'],
    ['wrong boundary', 'multipart/form-data; boundary=zz', part('purpose', 'assistants') + file + '--b--\r\n'],
    ['truncated', 'multipart/form-data; boundary=b', part('purpose', 'assistants') + file.slice(0, 60 + rng.int(20))],
    ['garbage', 'multipart/form-data; boundary=b', '\u0000\u0001\u0002garbage\r\n\r\n--'],
    ['empty', 'multipart/form-data; boundary=b', ''],
    ['unknown field', 'multipart/form-data; boundary=b', part('purpose', 'assistants') + part('colour', 'red') + file + '--b--\r\n'],
    ['bad purpose', 'multipart/form-data; boundary=b', part('purpose', rng.pick(['nonsense', 'assistants\u0000', '', 'assistants_output'])) + file + '--b--\r\n'],
    ['no file', 'multipart/form-data; boundary=b', part('purpose', 'assistants') + '--b--\r\n'],
    ['bad extension', 'multipart/form-data; boundary=b', part('purpose', 'assistants') + part('file', 'MZ', 'virus.exe') + '--b--\r\n'],
    ['control in name', 'multipart/form-data; boundary=b', part('purpose', 'assistants') + part('file', 'x', rng.pick(['a\u0000.txt', 'a\u0007.txt', 'a\u001b[31m.txt'])) + '--b--\r\n'],
    ['other file field', 'multipart/form-data; boundary=b', part('purpose', 'assistants') + part('upload', 'x', 'a.txt') + '--b--\r\n'],
    ['json', 'application/json', '{"purpose":"assistants"}'],
  ];
  const [flaw, type, body] = rng.pick(cases);
  return { flaw: `multipart ${flaw}`, headers: { 'content-type': type }, body };
}

const BAD_IDS = ['%00', 'asst_%00', 'x%00y', '%E0%A4%A', '%zz', 'a%20b', '%C3%BC', 'a'.repeat(120), '..', "x'", 'thread_%F0%9F%98%80', 'nope_0000'];
const BAD_QUERIES = ['limit=0', 'limit=-1', 'limit=abc', 'limit=101', 'limit=1e400', 'order=sideways', 'after=%00', 'before=asst_%00',
  'after=a%20b', 'include[]=bogus', 'filter=nope', 'purpose=%00', 'run_id=%00', 'order=asc%00', 'limit=%E0%A4%A', 'after=' + 'z'.repeat(200)];

function fillPath(op: Operation, rng: Rng, ids: Record<string, string>, badParam: boolean): string {
  const bad = badParam ? rng.pick(op.params) : undefined;
  const prefix = rng.pick(['', '', '/openai', '/openai/v1']);
  const path = prefix ? op.path.replace(/^\/v1/, prefix) : op.path;
  return path.replace(/\{([a-z_]+)\}/g, (_, name: string) => (name === bad ? rng.pick(BAD_IDS) : ids[name] ?? 'fuzz'));
}

/**
 * A request with no deliberate flaw but odd values where the schema allows them (unknown ids, extreme numbers,
 * unusual text): the server may accept or refuse it, never fail on it.
 */
export function oddRequest(op: Operation, rng: Rng, ids: Record<string, string>): FuzzRequest {
  const path = fillPath(op, rng, ids, false);
  if (op.method === 'GET' || op.multipart || !op.body) return { method: op.method, path, headers: {}, flaw: 'odd values' };
  const body = JSON.stringify(valueOf(op.body, rng, Object.values(ids), []));
  return { method: op.method, path, headers: { 'content-type': JSON_TYPE.application }, body, flaw: 'odd values' };
}

/** A malformed request for an operation. */
export function fuzzRequest(op: Operation, rng: Rng, ids: Record<string, string>): FuzzRequest {
  const mutating = op.method !== 'GET';
  if (rng.chance(0.03)) {
    const path = fillPath(op, rng, ids, false);
    const raw = rng.chance(0.5)
      ? `${op.method} ${path} HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000 + rng.int(80_000))}\r\n\r\n`
      : rng.pick([`${op.method} ${path} HTTP/1.1\r\nHost: x\r\nbroken header\r\n\r\n`, `${op.method} ${path} HTTP/9\r\n\r\n`, `\u0000\u0001 junk\r\n\r\n`,
          `${op.method} ${path} HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n`, `${op.method} ${path} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n`]);
    return { method: op.method, path, headers: {}, raw, flaw: 'raw http' };
  }
  const badParam = op.params.length > 0 && rng.chance(mutating ? 0.3 : 0.5);
  const path = fillPath(op, rng, ids, badParam);
  const badQuery = Object.keys(op.query).length > 0 && rng.chance(0.5);
  const query = badQuery ? `?${rng.pick(BAD_QUERIES)}` : '';
  const what = [badParam ? 'bad id' : '', badQuery ? 'bad query' : ''].filter(Boolean).join(', ');
  if (!mutating) return { method: op.method, path: path + query, headers: {}, flaw: what || 'valid-looking GET' };
  const body = op.multipart ? flawedUpload(rng) : flawedBody(op, rng, Object.values(ids));
  return { method: op.method, path: path + query, ...body, flaw: [body.flaw, what].filter(Boolean).join(', ') };
}
