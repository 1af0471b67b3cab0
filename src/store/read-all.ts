import type { Page } from './store.js';

/** Every item of a scoped list, page by page along the keyset (`list` gets the last id seen as `after`). */
export async function readAll<T extends { id: string }>(list: (after: string | undefined) => Promise<Page<T>>): Promise<T[]> {
  const out: T[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await list(after);
    out.push(...page.data);
    if (!page.has_more || page.data.length === 0) return out;
    after = page.data[page.data.length - 1]!.id;
  }
}
