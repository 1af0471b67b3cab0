/**
 * `GET /threads`: an assistd extension, not part of the hosted Assistants API (which never could list threads).
 * The usual list parameters (limit, order, after, before) plus filters: `metadata[key]=value` (every one given
 * must match), `created_after` and `created_before` (Unix seconds, exclusive).
 */
import { z } from 'zod';
import { listQuery, pageQuery, toListPage } from './pagination.js';
import { route } from './route.js';
import { threadView } from './v1-shapes.js';

const METADATA_PARAM = /^metadata\[(.{1,64})\]$/s;
const MAX_METADATA_FILTERS = 16;

const query = listQuery()
  .extend({
    created_after: z.coerce.number().int().min(0).optional(),
    created_before: z.coerce.number().int().min(0).optional(),
  })
  .catchall(z.string().max(512))
  .superRefine((q, ctx) => {
    const extra = Object.keys(q).filter((key) => !(key in listQuery().shape) && key !== 'created_after' && key !== 'created_before');
    const unknown = extra.find((key) => !METADATA_PARAM.test(key));
    if (unknown !== undefined) ctx.addIssue({ code: 'unrecognized_keys', keys: [unknown], input: q, message: `Unknown parameter: '${unknown}'.` });
    else if (extra.length > MAX_METADATA_FILTERS) ctx.addIssue({ code: 'custom', path: [extra[0]!], message: `at most ${MAX_METADATA_FILTERS} metadata filters.` });
  });

/** The `metadata[key]=value` parameters as a key → value map. */
function metadataFilter(q: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(q)) {
    const name = METADATA_PARAM.exec(key)?.[1];
    if (name !== undefined) out[name] = String(value);
  }
  return out;
}

export const threadListRoutes = [
  route({
    method: 'GET',
    path: '/threads',
    summary: 'List threads (assistd extension; filters: metadata[key]=value, created_after, created_before)',
    query,
    async handler({ query: q, project, shape }, { store }) {
      const page = await store.threads.find(project, pageQuery(q), {
        metadata: metadataFilter(q),
        createdAfter: q.created_after,
        createdBefore: q.created_before,
      });
      return toListPage(page, (t) => threadView(t, shape));
    },
  }),
];
