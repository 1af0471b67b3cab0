import { scriptSchema, type ScriptSource } from '../providers/script.js';
import type { Store } from '../store/store.js';

/**
 * Named scripts from the database, so `PUT /v1/scripts/{name}` takes effect on the next model call of any
 * replica. Read on every call: scripts are small, and a cache would have to be invalidated across processes.
 */
export function createStoredScriptSource(store: Store): ScriptSource {
  return {
    async get(name) {
      const stored = await store.scripts.get(name);
      // Validated again on the way out: the table is only written through the API, but rows outlive schema changes.
      return stored ? scriptSchema.parse(stored.script) : undefined;
    },
    async list() {
      const names: string[] = [];
      let after: string | undefined;
      for (;;) {
        const page = await store.scripts.list({ limit: 100, order: 'asc', ...(after !== undefined ? { after } : {}) });
        names.push(...page.data.map((s) => s.name));
        if (!page.has_more) return names;
        after = names[names.length - 1];
      }
    },
  };
}
