// Turns what an export holds into what can be imported: each object validated (the invalid ones reported and
// left out), duplicates dropped, and for every id the project that already holds it, if any.
import type { IdTable } from '../store/id-owners.js';
import type { Store } from '../store/store.js';
import { describeIssue, SCHEMAS, type ObjectKind, type ParsedObjects } from './object-schemas.js';
import type { ImportReport } from './import-report.js';
import type { ExportContents } from './read-export.js';
import { upgradeV1 } from './v1-objects.js';

export interface Candidate<K extends ObjectKind> {
  obj: ParsedObjects[K];
  source: string;
}

export type ImportPlan = { [K in ObjectKind]: Array<Candidate<K>> };

const TABLES: Partial<Record<ObjectKind, IdTable>> = {
  assistant: 'assistants',
  thread: 'threads',
  'thread.message': 'messages',
  'thread.run': 'runs',
  'thread.run.step': 'run_steps',
  file: 'files',
  vector_store: 'vector_stores',
};

function emptyPlan(): ImportPlan {
  return Object.fromEntries(Object.keys(SCHEMAS).map((k) => [k, []])) as unknown as ImportPlan;
}

/** Memberships are keyed by store and file; everything else by its id. */
const keyOf = (kind: ObjectKind, obj: { id: string; vector_store_id?: string }) => (kind === 'vector_store.file' ? `${obj.vector_store_id}/${obj.id}` : obj.id);

/** Validates every object found; invalid and conflicting duplicates go to the report as skipped. */
export function planImport(contents: ExportContents, report: ImportReport): ImportPlan {
  const plan = emptyPlan();
  const seen = new Map<string, { json: string; source: string }>();
  for (const { kind, raw: given, source } of contents.objects) {
    const raw = upgradeV1(kind, given);
    const id = typeof raw.id === 'string' ? raw.id : '(no id)';
    const parsed = SCHEMAS[kind].safeParse(raw);
    if (!parsed.success) {
      report.entries.push({ kind, id, outcome: 'skipped', reason: `invalid: ${describeIssue(parsed.error)}`, source });
      continue;
    }
    // The object keeps its own field order (defaults filled in go last), so it reads back as it was written.
    const obj = { ...raw, ...parsed.data } as ParsedObjects[typeof kind];
    const key = `${kind}:${keyOf(kind, obj)}`;
    const json = JSON.stringify(given);
    const first = seen.get(key);
    if (first) {
      // The same object listed twice (a thread record and a messages dump, say) is one object.
      if (first.json !== json) report.entries.push({ kind, id, outcome: 'skipped', reason: `a different object with this id came first (${first.source})`, source });
      continue;
    }
    seen.set(key, { json, source });
    (plan[kind] as Array<Candidate<typeof kind>>).push({ obj, source });
  }
  return plan;
}

/** Who holds each id the import touches, asked once up front. */
export interface Owners {
  /** `new` when no project holds the id; `exists` when this one does; `refused` when another does. */
  state(kind: ObjectKind, id: string): 'new' | 'exists' | 'refused';
  owner(kind: ObjectKind, id: string): string | undefined;
  /** Records an object this import wrote, so later groups see it as present. */
  add(kind: ObjectKind, id: string): void;
}

/** Every id an object of the plan is or refers to, by table. */
function idsByTable(plan: ImportPlan): Map<IdTable, Set<string>> {
  const ids = new Map<IdTable, Set<string>>();
  const add = (kind: ObjectKind, id: string) => {
    const table = TABLES[kind]!;
    if (!ids.has(table)) ids.set(table, new Set());
    ids.get(table)!.add(id);
  };
  for (const kind of Object.keys(TABLES) as ObjectKind[]) for (const { obj } of plan[kind]) add(kind, obj.id);
  for (const { obj } of plan['thread.message']) add('thread', obj.thread_id);
  for (const { obj } of plan['thread.run']) add('thread', obj.thread_id);
  for (const { obj } of plan['thread.run.step']) (add('thread', obj.thread_id), add('thread.run', obj.run_id));
  for (const { obj } of plan['vector_store.file']) (add('vector_store', obj.vector_store_id), add('file', obj.id));
  return ids;
}

export async function loadOwners(store: Store, plan: ImportPlan, project: string): Promise<Owners> {
  const owners = new Map<IdTable, Map<string, string>>();
  for (const [table, ids] of idsByTable(plan)) owners.set(table, await store.idOwners(table, [...ids]));
  const owner = (kind: ObjectKind, id: string) => owners.get(TABLES[kind]!)?.get(id);
  return {
    owner,
    state(kind, id) {
      const holder = owner(kind, id);
      return holder === undefined ? 'new' : holder === project ? 'exists' : 'refused';
    },
    add(kind, id) {
      const table = TABLES[kind]!;
      if (!owners.has(table)) owners.set(table, new Map());
      owners.get(table)!.set(id, project);
    },
  };
}

/** Why an id held by another project is refused: ids are global, so two projects cannot share one. */
export function refusal(owners: Owners, kind: ObjectKind, id: string): string {
  return `the id is already used by an object of project "${owners.owner(kind, id)}"; ids are kept on import, so it cannot be imported into this project`;
}
