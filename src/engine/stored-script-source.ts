import { scriptSchema, type Script, type ScriptSource } from '../providers/script.js';
import type { Store } from '../store/store.js';

/**
 * Named scripts: a project's own from the database (so `PUT /v1/scripts/{name}` takes effect on the next model
 * call of any replica), else a server-wide one from the config file's `scripts:`. Read on every call: scripts
 * are small, and a cache would have to be invalidated across processes.
 */
export function createStoredScriptSource(store: Store, serverWide: Readonly<Record<string, Script>> = {}): ScriptSource {
  return {
    async get(name, project) {
      const stored = project === undefined ? undefined : await store.scripts.get(project, name);
      // Validated again on the way out: the table is only written through the API, but rows outlive schema changes.
      if (stored) return scriptSchema.parse(stored.script);
      return Object.hasOwn(serverWide, name) ? serverWide[name] : undefined;
    },
    async list(project) {
      const names = new Set<string>();
      let after: string | undefined;
      while (project !== undefined) {
        const page = await store.scripts.list(project, { limit: 100, order: 'asc', ...(after !== undefined ? { after } : {}) });
        page.data.forEach((s) => names.add(s.name));
        if (!page.has_more) break;
        after = page.data[page.data.length - 1]!.name;
      }
      Object.keys(serverWide).forEach((name) => names.add(name));
      return [...names].sort();
    },
  };
}
