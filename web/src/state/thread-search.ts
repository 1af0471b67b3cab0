import type { ListPage, Thread } from '../../../src/domain/types';
import type { ApiClient } from '../api/client';

/** What the thread finder asks for: a metadata `key=value` and a day range (local dates, `YYYY-MM-DD`). */
export interface ThreadQuery {
  metadata: string;
  from: string;
  to: string;
}

export const emptyThreadQuery: ThreadQuery = { metadata: '', from: '', to: '' };

const DAY = 86_400;

/** The query as `GET /v1/threads` parameters (docs/thread-list.md); an unparsable part is an error to show. */
export function threadListParams(query: ThreadQuery): { ok: true; params: Record<string, string> } | { ok: false; error: string } {
  const params: Record<string, string> = {};
  const meta = query.metadata.trim();
  if (meta) {
    const eq = meta.indexOf('=');
    if (eq <= 0) return { ok: false, error: 'Metadata filter: write key=value.' };
    params[`metadata[${meta.slice(0, eq).trim()}]`] = meta.slice(eq + 1).trim();
  }
  // Whole days, inclusive: after the second before `from` starts, before the day after `to` starts.
  if (query.from) params.created_after = String(Math.floor(new Date(`${query.from}T00:00:00`).getTime() / 1000) - 1);
  if (query.to) params.created_before = String(Math.floor(new Date(`${query.to}T00:00:00`).getTime() / 1000) + DAY);
  return { ok: true, params };
}

/** One page of the project's threads, newest first. */
export function listThreads(client: ApiClient, params: Record<string, string>, after?: string): Promise<ListPage<Thread>> {
  return client.get<ListPage<Thread>>('/threads', { limit: 20, order: 'desc', ...params, after });
}
