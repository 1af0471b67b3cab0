// Threads with their messages, runs and steps: one group (one transaction) per thread. Children whose thread is
// neither in the export nor already in the project, or was refused, are skipped with the reason.
import type { Message, Run, RunStep, Thread } from '../domain/types.js';
import type { Store } from '../store/store.js';
import { endMessage, expireRun, expireStep } from './expire-in-flight.js';
import { writeGroup } from './import-group.js';
import { refusal, type Candidate, type ImportPlan, type Owners } from './import-plan.js';
import type { ImportContext } from './import-context.js';
import type { ReportEntry } from './import-report.js';

interface ThreadGroup {
  thread?: Candidate<'thread'>;
  messages: Array<Candidate<'thread.message'>>;
  runs: Array<Candidate<'thread.run'>>;
  steps: Array<Candidate<'thread.run.step'>>;
}

function groupByThread(plan: ImportPlan): Map<string, ThreadGroup> {
  const groups = new Map<string, ThreadGroup>();
  const group = (id: string) => {
    if (!groups.has(id)) groups.set(id, { messages: [], runs: [], steps: [] });
    return groups.get(id)!;
  };
  for (const c of plan.thread) group(c.obj.id).thread = c;
  for (const c of plan['thread.message']) group(c.obj.thread_id).messages.push(c);
  for (const c of plan['thread.run']) group(c.obj.thread_id).runs.push(c);
  for (const c of plan['thread.run.step']) group(c.obj.thread_id).steps.push(c);
  return groups;
}

/** Why the thread's children cannot be imported, when they cannot. */
function threadProblem(ctx: ImportContext, threadId: string, group: ThreadGroup): string | undefined {
  const state = ctx.owners.state('thread', threadId);
  if (group.thread) return state === 'refused' ? `its thread ${threadId} was refused` : undefined;
  if (state === 'exists') return undefined;
  return state === 'refused' ? `its thread ${threadId} belongs to another project` : `its thread ${threadId} is neither in the export nor in this project`;
}

type Write = (tx: Store) => Promise<void>;

/** Plans one object: its report entry, and its insert when it is new. */
function plan<K extends 'thread' | 'thread.message' | 'thread.run' | 'thread.run.step'>(
  owners: Owners,
  kind: K,
  c: Candidate<K>,
  insert: Write,
  entries: ReportEntry[],
  writes: Write[],
): void {
  const state = owners.state(kind, c.obj.id);
  if (state === 'refused') entries.push({ kind, id: c.obj.id, outcome: 'refused', reason: refusal(owners, kind, c.obj.id), source: c.source });
  else if (state === 'exists') entries.push({ kind, id: c.obj.id, outcome: 'exists', source: c.source });
  else {
    entries.push({ kind, id: c.obj.id, outcome: 'imported', source: c.source });
    writes.push(insert);
  }
}

async function importGroup(ctx: ImportContext, threadId: string, group: ThreadGroup): Promise<void> {
  const { owners, project, now } = ctx;
  const entries: ReportEntry[] = [];
  const writes: Write[] = [];
  const problem = threadProblem(ctx, threadId, group);
  const children = [...group.messages, ...group.runs, ...group.steps];
  if (group.thread) plan(owners, 'thread', group.thread, (tx) => tx.threads.insert(project, group.thread!.obj as Thread), entries, writes);
  if (problem) {
    for (const c of children) entries.push({ kind: c.obj.object, id: c.obj.id, outcome: 'skipped', reason: problem, source: c.source });
    ctx.report.entries.push(...entries);
    return;
  }
  for (const c of group.messages) plan(owners, 'thread.message', c, (tx) => tx.messages.insert(project, endMessage(c.obj as Message, now)), entries, writes);
  const runs = new Set(group.runs.filter((c) => owners.state('thread.run', c.obj.id) !== 'refused').map((c) => c.obj.id));
  for (const c of group.runs) plan(owners, 'thread.run', c, (tx) => tx.runs.insert(project, expireRun(c.obj as Run)), entries, writes);
  for (const c of group.steps) {
    if (!runs.has(c.obj.run_id) && owners.state('thread.run', c.obj.run_id) !== 'exists') {
      entries.push({ kind: 'thread.run.step', id: c.obj.id, outcome: 'skipped', reason: `its run ${c.obj.run_id} is neither in the export nor in this project`, source: c.source });
    } else plan(owners, 'thread.run.step', c, (tx) => tx.runSteps.insert(project, expireStep(c.obj as RunStep, now)), entries, writes);
  }
  const written = await writeGroup(ctx.store, ctx.report, entries, async (tx) => {
    for (const write of writes) await write(tx);
  });
  if (written && group.thread) owners.add('thread', threadId);
}

export async function importThreads(ctx: ImportContext, plan: ImportPlan): Promise<void> {
  for (const [threadId, group] of groupByThread(plan)) await importGroup(ctx, threadId, group);
}
