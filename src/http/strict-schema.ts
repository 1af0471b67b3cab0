import { z } from 'zod';

// The hosted API refused unknown body parameters ("Unknown parameter: 'x'."); a zod object strips them. Rather
// than spell `.strict()` on every object of every request schema (and forget one), a route's body schema is made
// strict here, all the way down. An object that says otherwise (`z.looseObject`, `.catchall()`) keeps its say.

type Def = Record<string, unknown> & { type: string };

function defOf(schema: z.ZodType): Def {
  return schema._zod.def as unknown as Def;
}

/** A copy of a def with some fields replaced; getters (a lazy object shape) stay getters. */
function patched(def: Def, patch: Record<string, unknown>): Def {
  return Object.defineProperties({}, { ...Object.getOwnPropertyDescriptors(def), ...Object.getOwnPropertyDescriptors(patch) }) as Def;
}

function rebuilt(schema: z.ZodType, patch: Record<string, unknown>): z.ZodType {
  return (schema as unknown as { clone(def: Def, params: { parent: boolean }): z.ZodType }).clone(patched(defOf(schema), patch), { parent: true });
}

/** Children of a def that hold schemas, by def field; a field is either one schema or a list of them. */
const CHILDREN: Record<string, string[]> = {
  array: ['element'],
  optional: ['innerType'],
  nullable: ['innerType'],
  default: ['innerType'],
  prefault: ['innerType'],
  nonoptional: ['innerType'],
  readonly: ['innerType'],
  catch: ['innerType'],
  pipe: ['in', 'out'],
  record: ['valueType'],
  union: ['options'],
  tuple: ['items', 'rest'],
};

function strictChildren(schema: z.ZodType, seen: Map<z.ZodType, z.ZodType>): z.ZodType {
  const def = defOf(schema);
  const patch: Record<string, unknown> = {};
  for (const field of CHILDREN[def.type] ?? []) {
    const child = def[field];
    if (Array.isArray(child)) {
      const next = child.map((c: z.ZodType) => strict(c, seen));
      if (next.some((c, i) => c !== child[i])) patch[field] = next;
    } else if (child) {
      const next = strict(child as z.ZodType, seen);
      if (next !== child) patch[field] = next;
    }
  }
  return Object.keys(patch).length ? rebuilt(schema, patch) : schema;
}

function strictObject(schema: z.ZodType, seen: Map<z.ZodType, z.ZodType>): z.ZodType {
  const def = defOf(schema);
  const shape = def.shape as Record<string, z.ZodType>;
  const next = Object.fromEntries(Object.entries(shape).map(([key, value]) => [key, strict(value, seen)]));
  return rebuilt(schema, { shape: next, catchall: def.catchall ?? z.never() });
}

function strict(schema: z.ZodType, seen: Map<z.ZodType, z.ZodType>): z.ZodType {
  const known = seen.get(schema);
  if (known) return known;
  const def = defOf(schema);
  let out: z.ZodType;
  if (def.type === 'lazy') {
    // Recursive schemas (filters) go through a lazy: map it before its getter runs, so the cycle closes.
    const getter = def.getter as () => z.ZodType;
    out = z.lazy(() => strict(getter(), seen));
    seen.set(schema, out);
    return out;
  }
  out = def.type === 'object' ? strictObject(schema, seen) : strictChildren(schema, seen);
  seen.set(schema, out);
  return out;
}

/** The schema with every object in it refusing keys it does not name (see above). */
export function strictSchema<S extends z.ZodType>(schema: S): S {
  return strict(schema, new Map()) as S;
}
