import { z } from 'zod';
import { NotFoundError } from '../../domain/errors.js';
import { MEMORY_LIMITS } from '../../domain/containers.js';
import { listQuery, pageQuery, toListPage } from '../pagination.js';
import { route } from '../route.js';

const createBody = z.object({
  name: z.string().min(1).max(256),
  file_ids: z.array(z.string().min(1)).max(100).optional(),
  expires_after: z.object({ anchor: z.literal('last_active_at'), minutes: z.number().int().min(1).max(7 * 24 * 60) }).optional(),
  memory_limit: z.enum(MEMORY_LIMITS).optional(),
  // The sandbox has no network: `disabled` is what every container gets, and an allowlist cannot be honoured.
  network_policy: z.object({ type: z.literal('disabled') }).optional(),
  skills: z.array(z.unknown()).max(0, 'skills are not supported by this server.').optional(),
});

export const containerRoutes = [
  route({
    method: 'POST',
    path: '/containers',
    summary: 'Create container',
    body: createBody,
    async handler({ body, project }, { containers }) {
      return containers.create(project, {
        name: body.name,
        ...(body.file_ids ? { file_ids: body.file_ids } : {}),
        ...(body.expires_after ? { expiry_minutes: body.expires_after.minutes } : {}),
        ...(body.memory_limit ? { memory_limit: body.memory_limit } : {}),
      });
    },
  }),
  route({
    method: 'GET',
    path: '/containers',
    summary: 'List containers',
    query: listQuery().extend({ name: z.string().optional() }),
    async handler({ query, project }, { containers }) {
      return toListPage(await containers.list(project, pageQuery(query), query.name));
    },
  }),
  route({
    method: 'GET',
    path: '/containers/:container_id',
    summary: 'Retrieve container',
    async handler({ params, project }, { containers }) {
      return containers.get(project, params.container_id!);
    },
  }),
  route({
    method: 'DELETE',
    path: '/containers/:container_id',
    summary: 'Delete container',
    async handler({ params, project }, { containers }) {
      const id = params.container_id!;
      if (!(await containers.delete(project, id))) throw new NotFoundError(`No container found with id '${id}'.`, 'container_id');
      return { id, object: 'container.deleted', deleted: true };
    },
  }),
];
