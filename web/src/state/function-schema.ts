import type { FunctionDefinition } from '../../../src/domain/types';

const NAME = /^[a-zA-Z0-9_-]{1,64}$/;
const TYPES = new Set(['object', 'array', 'string', 'number', 'integer', 'boolean', 'null']);

export type FunctionCheck = { ok: true; value: FunctionDefinition } | { ok: false; error: string };

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Checks one JSON-schema node the way models read tool parameters: a known type, nested properties and items. */
function checkSchema(node: unknown, path: string): string | undefined {
  if (!isObject(node)) return `${path} must be an object.`;
  const types = Array.isArray(node.type) ? node.type : node.type === undefined ? [] : [node.type];
  for (const t of types) if (typeof t !== 'string' || !TYPES.has(t)) return `${path}.type '${String(t)}' is not a JSON-schema type.`;
  if (node.enum !== undefined && !Array.isArray(node.enum)) return `${path}.enum must be an array.`;
  if (node.description !== undefined && typeof node.description !== 'string') return `${path}.description must be a string.`;
  if (node.properties !== undefined) {
    if (!isObject(node.properties)) return `${path}.properties must be an object.`;
    for (const [key, child] of Object.entries(node.properties)) {
      const error = checkSchema(child, `${path}.properties.${key}`);
      if (error) return error;
    }
  }
  if (node.required !== undefined) {
    if (!Array.isArray(node.required) || node.required.some((r) => typeof r !== 'string')) return `${path}.required must be an array of property names.`;
    const known = isObject(node.properties) ? node.properties : {};
    const missing = node.required.find((r) => !(r in known));
    if (missing !== undefined) return `${path}.required names '${missing}', which is not in properties.`;
  }
  if (node.items !== undefined) return checkSchema(node.items, `${path}.items`);
  return undefined;
}

/** Parses and validates a function definition typed into the editor: `{name, description?, parameters?, strict?}`. */
export function checkFunctionDefinition(text: string): FunctionCheck {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    return { ok: false, error: `Not valid JSON: ${(err as Error).message}` };
  }
  if (!isObject(parsed)) return { ok: false, error: 'The definition must be a JSON object.' };
  const { name, description, parameters, strict, ...rest } = parsed;
  const unknown = Object.keys(rest)[0];
  if (unknown !== undefined) return { ok: false, error: `Unknown field '${unknown}': expected name, description, parameters, strict.` };
  if (typeof name !== 'string' || !NAME.test(name)) return { ok: false, error: 'name must be 1-64 characters of a-z, A-Z, 0-9, _ or -.' };
  if (description !== undefined && (typeof description !== 'string' || description.length > 1024)) {
    return { ok: false, error: 'description must be a string of at most 1024 characters.' };
  }
  if (strict !== undefined && strict !== null && typeof strict !== 'boolean') return { ok: false, error: 'strict must be true or false.' };
  if (parameters !== undefined) {
    if (!isObject(parameters) || parameters.type !== 'object') return { ok: false, error: "parameters must be a JSON schema with type 'object'." };
    const error = checkSchema(parameters, 'parameters');
    if (error) return { ok: false, error };
  }
  const value: FunctionDefinition = { name };
  if (description !== undefined) value.description = description as string;
  if (parameters !== undefined) value.parameters = parameters;
  if (strict !== undefined) value.strict = strict as boolean | null;
  return { ok: true, value };
}

export const FUNCTION_TEMPLATE = JSON.stringify(
  {
    name: 'get_weather',
    description: 'Determine weather in my location',
    parameters: {
      type: 'object',
      properties: { location: { type: 'string', description: 'The city and state e.g. San Francisco, CA' } },
      required: ['location'],
    },
  },
  null,
  2,
);
