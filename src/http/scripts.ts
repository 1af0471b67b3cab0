/**
 * Named scripts for the scripted model: `PUT /scripts/{name}` stores one, and runs with
 * `model: "scripted:<name>"` play it from their next model call on. Not part of the hosted API. A script belongs to
 * the project of the key that stored it; server-wide ones come from the config file (`scripts:`) and are not
 * changed here.
 */
import { z } from 'zod';
import { BadRequestError, NotFoundError } from '../domain/errors.js';
import { nowSeconds } from '../domain/ids.js';
import { scriptSchema, scriptStepSchema, type Script } from '../providers/script.js';
import type { StoredScript } from '../store/scripts-repo.js';
import { route } from './route.js';
import { parseInput } from './validation.js';

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

const listScriptsQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  order: z.enum(['asc', 'desc']).default('asc'),
  after: z.string().min(1).optional(),
});

const scriptBody = z.unknown().meta({
  description: 'A script: a list of steps, a single step, or {"rules": [{"match"?, "steps"}]} (see docs/scripted-model.md).',
});

function scriptName(name: string): string {
  if (!NAME.test(name)) {
    throw new BadRequestError(`Invalid 'name': '${name}' must be 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit.`, 'name', 'invalid_value');
  }
  return name;
}

/** The body in whichever form it was written, validated with the schema that form needs so errors name the field. */
function parseBody(body: unknown): Script {
  if (Array.isArray(body)) return { rules: [{ steps: parseInput(z.array(scriptStepSchema).min(1), body) }] };
  if (body === null || typeof body !== 'object' || Object.keys(body).length === 0) {
    throw new BadRequestError('Invalid request: the body must be a script: a list of steps, a single step, or {"rules": [...]}.', null, 'invalid_value');
  }
  if ('rules' in body) return parseInput(scriptSchema, body);
  return { rules: [{ steps: [parseInput(scriptStepSchema, body)] }] };
}

function scriptView(stored: StoredScript) {
  return { object: 'script', name: stored.name, model: `scripted:${stored.name}`, created_at: stored.created_at, updated_at: stored.updated_at, script: stored.script };
}

function missing(name: string): NotFoundError {
  return new NotFoundError(`No script found with name '${name}'.`, 'name');
}

export const scriptRoutes = [
  route({
    method: 'PUT',
    path: '/scripts/:name',
    summary: 'Create or replace a named script for the scripted model',
    body: scriptBody,
    async handler({ body, params, project }, { store }) {
      const name = scriptName(params.name!);
      return scriptView(await store.scripts.put(project, name, parseBody(body), nowSeconds()));
    },
  }),
  route({
    method: 'GET',
    path: '/scripts',
    summary: 'List named scripts',
    query: listScriptsQuery,
    async handler({ query, project }, { store }) {
      const page = await store.scripts.list(project, { limit: query.limit, order: query.order, ...(query.after ? { after: query.after } : {}) });
      const data = page.data.map(scriptView);
      return { object: 'list', data, first_id: data[0]?.name ?? null, last_id: data[data.length - 1]?.name ?? null, has_more: page.has_more };
    },
  }),
  route({
    method: 'GET',
    path: '/scripts/:name',
    summary: 'Retrieve a named script',
    async handler({ params, project }, { store }) {
      const stored = await store.scripts.get(project, params.name!);
      if (!stored) throw missing(params.name!);
      return scriptView(stored);
    },
  }),
  route({
    method: 'DELETE',
    path: '/scripts/:name',
    summary: 'Delete a named script',
    async handler({ params, project }, { store }) {
      if (!(await store.scripts.delete(project, params.name!))) throw missing(params.name!);
      return { object: 'script.deleted', name: params.name!, deleted: true };
    },
  }),
];
