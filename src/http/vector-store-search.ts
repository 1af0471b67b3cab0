import { z } from 'zod';
import { embedQueries } from '../search/embed-queries.js';
import { rewriteQuery } from '../search/query-terms.js';
import type { AttributeFilter } from '../search/search-index.js';
import { route } from './route.js';
import { assertNotExpired, getVectorStore } from './vector-stores.js';

const scalar = z.union([z.string(), z.number(), z.boolean()]);

const comparisonFilter = z
  .object({
    type: z.enum(['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'in', 'nin']),
    key: z.string().min(1),
    value: z.union([scalar, z.array(z.union([z.string(), z.number()]))]),
  })
  .refine((f) => Array.isArray(f.value) === (f.type === 'in' || f.type === 'nin'), {
    message: "'in' and 'nin' compare with a list of values; the other comparisons with a single value",
    path: ['value'],
  });

/** The hosted API's attribute filter: a comparison, or `and`/`or` over filters, nested. */
export const attributeFilterSchema: z.ZodType<AttributeFilter> = z.lazy(() =>
  z.union([comparisonFilter, z.object({ type: z.enum(['and', 'or']), filters: z.array(attributeFilterSchema).max(64) })]),
);

const searchBody = z.object({
  query: z.union([z.string().min(1), z.array(z.string().min(1)).min(1).max(10)]),
  max_num_results: z.number().int().min(1).max(50).default(10),
  filters: attributeFilterSchema.nullable().optional(),
  ranking_options: z
    .object({
      ranker: z.enum(['none', 'auto', 'default-2024-11-15', 'default_2024_08_21']).optional(),
      score_threshold: z.number().min(0).max(1).optional(),
    })
    .optional(),
  rewrite_query: z.boolean().optional(),
});

export const vectorStoreSearchRoutes = [
  route({
    method: 'POST',
    path: '/vector_stores/:vector_store_id/search',
    summary: 'Search vector store',
    body: searchBody,
    async handler({ body, params, project, request }, deps) {
      const vs = await getVectorStore(deps, project, params.vector_store_id!);
      assertNotExpired(deps, vs);
      const asked = typeof body.query === 'string' ? [body.query] : body.query;
      const queries = body.rewrite_query ? asked.map(rewriteQuery) : asked;
      const embedded = await embedQueries(deps.ingestion.searchEmbeddings(), queries);
      if (embedded.error) request.log.warn({ err: embedded.error }, 'embedding the search query failed: searching lexically');
      const hits = await deps.searchIndex.search(project, {
        vectorStoreIds: [vs.id],
        queries,
        ...embedded.query,
        maxResults: body.max_num_results,
        ...(body.filters ? { filters: body.filters } : {}),
        ...(body.ranking_options?.score_threshold !== undefined ? { scoreThreshold: body.ranking_options.score_threshold } : {}),
        ...(body.ranking_options?.ranker ? { ranker: body.ranking_options.ranker } : {}),
      });
      await deps.ingestion.touch(project, [vs.id]);
      return {
        object: 'vector_store.search_results.page',
        search_query: queries,
        data: hits.map((h) => ({ file_id: h.fileId, filename: h.filename, score: h.score, attributes: h.attributes, content: [{ type: 'text', text: h.text }] })),
        has_more: false,
        next_page: null,
      };
    },
  }),
];
