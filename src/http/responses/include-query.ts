import { z } from 'zod';

/** `include` as a query parameter: `include[]=…` as the SDK sends it (brackets), or plain `include=…`. */
export const includeQueryParams = {
  'include[]': z.union([z.string(), z.array(z.string())]).optional(),
  include: z.union([z.string(), z.array(z.string())]).optional(),
};

export function queryIncludes(query: { 'include[]'?: string | string[] | undefined; include?: string | string[] | undefined }): string[] {
  return [query['include[]'] ?? [], query.include ?? []].flat();
}
