// What an import did, object by object: the report `assistd import` prints and its exit status.
import { KIND_FILES } from './export-layout.js';

export type Outcome = 'imported' | 'exists' | 'skipped' | 'refused';

export interface ReportEntry {
  kind: string;
  id: string;
  outcome: Outcome;
  /** Why it was skipped or refused. */
  reason?: string;
  /** Where in the export it came from. */
  source?: string;
}

export interface ImportReport {
  project: string;
  entries: ReportEntry[];
  /** What the export held that is not an object to import (unreadable files, errors the export tool recorded). */
  notes: Array<{ source: string; reason: string }>;
  /** Vector stores that got files to ingest. */
  vectorStoreIds: string[];
}

const OUTCOMES: Outcome[] = ['imported', 'exists', 'skipped', 'refused'];

/** Counts by kind and outcome. */
export function summarize(report: ImportReport): Record<string, Record<Outcome, number>> {
  const out: Record<string, Record<Outcome, number>> = {};
  // Kinds in the order they are imported, whatever order the entries came in.
  for (const [kind] of KIND_FILES) if (report.entries.some((e) => e.kind === kind)) out[kind] = { imported: 0, exists: 0, skipped: 0, refused: 0 };
  for (const e of report.entries) {
    out[e.kind] ??= { imported: 0, exists: 0, skipped: 0, refused: 0 };
    out[e.kind]![e.outcome]++;
  }
  return out;
}

/** True when every object was imported or already there. */
export function isClean(report: ImportReport): boolean {
  return report.entries.every((e) => e.outcome === 'imported' || e.outcome === 'exists');
}

/** The report as lines for a terminal: a table of counts, then each object not imported and why. */
export function formatReport(report: ImportReport): string[] {
  const lines = [`import into project "${report.project}":`];
  for (const [kind, counts] of Object.entries(summarize(report))) {
    lines.push(`  ${kind.padEnd(18)} ${OUTCOMES.map((o) => `${counts[o]} ${o === 'exists' ? 'already there' : o}`).join(', ')}`);
  }
  for (const e of report.entries) {
    if (e.outcome === 'skipped' || e.outcome === 'refused') lines.push(`${e.outcome} ${e.kind} ${e.id}${e.source ? ` (${e.source})` : ''}: ${e.reason}`);
  }
  for (const n of report.notes) lines.push(`note (${n.source}): ${n.reason}`);
  return lines;
}
